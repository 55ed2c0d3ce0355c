/** `agentstate heartbeat`: mark the runtime state as alive now (shares the runtime write with `state`). */
export { beat as run } from './state.js';
