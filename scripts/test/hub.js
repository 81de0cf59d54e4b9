// The worker's loop and its IPC reporter share this emitter (one module instance per process).
import { EventEmitter } from 'node:events';
export const hub = new EventEmitter();
