// Exits 0 and prints the adapter when Dawn finds one, 1 otherwise. Used by scripts/setup-webgpu.
import { create, globals } from 'webgpu';

Object.assign(globalThis, globals);
const flags = (process.env.FLUCTUS_DAWN_FLAGS ?? '').split(/\s+/).filter(Boolean);
const gpu = create(flags);
const adapter = await gpu.requestAdapter();
if (!adapter) {
  console.log('[setup-webgpu] no WebGPU adapter found');
  process.exit(1);
}
const info = adapter.info ?? {};
console.log(
  `[setup-webgpu] adapter: ${info.vendor ?? '?'} / ${info.architecture ?? '?'} / ${info.device ?? '?'} / ${info.description ?? ''}`,
);
// keep `gpu` alive until here (dawn.node crashes if it is collected while in use)
globalThis.__fluctusProbe = gpu;
process.exit(0);
