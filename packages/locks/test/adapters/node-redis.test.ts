import { describeBehaviour } from "./behaviour.js";
import { nodeRedis } from "./kinds.js";

describeBehaviour(nodeRedis);
