// Importing this module registers every backend that ships with nmsparse.
import './reference.js';
import './wasm.js';
import './wasmLinalg.js';
import './gpu.js';
