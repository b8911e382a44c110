// What an `import … from '….wasm'` gives under the bundlers that src/edge.ts supports.
declare module '*.wasm' {
  const wasm: WebAssembly.Module | ArrayBuffer | Uint8Array | string | URL;
  export default wasm;
}
