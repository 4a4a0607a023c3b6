import { describeBehaviour } from "./behaviour.js";
import { fakeBehaviour } from "../fixtures/fake-nodes.js";

// The behaviours every client library must show, against the in-memory fake of
// quorum-locks/testing: the fake runs the same scripts, so it cannot drift from a real server.
describeBehaviour(fakeBehaviour());
