// The lab's runner is the shared one (it moved to shared/ when the worker needed it too).
export * from '../shared/run.js';
