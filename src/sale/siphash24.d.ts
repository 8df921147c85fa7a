// siphash24 (mafintosh, MIT) ships no types. Only what src/sale/ids.ts calls: SipHash-2-4 of `data` under a
// 16-byte `key`, 8 bytes written to `out` (made when absent); `noAssert` skips the package's length checks.
declare module 'siphash24' {
  function siphash24(data: Uint8Array, key: Uint8Array, out?: Uint8Array, noAssert?: boolean): Uint8Array;
  namespace siphash24 {
    const BYTES: number;
    const KEYBYTES: number;
    const WASM_SUPPORTED: boolean;
    const WASM_LOADED: boolean;
  }
  export = siphash24;
}
