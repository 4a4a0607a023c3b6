import { describeBehaviour } from "./behaviour.js";
import { iovalkey } from "./kinds.js";

describeBehaviour(iovalkey);
