// The file I/O entry point, `nmsparse/io`: .npy and safetensors readers and writers. Kept apart from the
// main entry because the file functions use node:fs; the main entry stays loadable in browsers and workers.
export {
  parseNpy,
  parseNpyMask,
  encodeNpy,
  readNpyFile,
  readNpyMaskFile,
  writeNpyFile,
  type NpyArray,
  type NpyMask,
  type NpyDtype,
} from './npy.js';
export {
  SafetensorsReader,
  SafetensorsWriter,
  openSafetensorsFile,
  writeSafetensorsFile,
  memorySource,
  fileSource,
  encodeTensorData,
  type ByteSource,
  type TensorData,
} from './safetensors.js';
export { detectFormat, formatOfBytes, type FileFormat } from './detectFormat.js';
export { openCheckpoint, type CheckpointShard, type TensorStore } from './checkpoint.js';
export type { SafetensorsDtype, MaskDtype, TensorEntry, TensorInfo, Metadata } from './safetensorsHeader.js';
export type { AtomicWriteOptions } from './atomicWrite.js';
// For the CLI's checkpoint commands: which tensors are floats, and decoding bytes already read.
export { isFloatDtype, FLOAT_DTYPES, type FloatDtype } from './safetensorsHeader.js';
export { decodeFloats } from './floatCodec.js';
