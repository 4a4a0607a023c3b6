import { describeBehaviour } from "./behaviour.js";
import { ioredis } from "./kinds.js";

describeBehaviour(ioredis);
