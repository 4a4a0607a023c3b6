import { describeBehaviour } from "./behaviour.js";
import { glide } from "./kinds.js";

describeBehaviour(glide);
