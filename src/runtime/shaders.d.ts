// The virtual module that scripts/build-web.ts creates for the browser bundle.
declare module 'fluctus:shaders' {
  const sources: Record<string, string>;
  export default sources;
}

// wgsl-preprocessor ships no type declarations and no package entry point.
declare module 'wgsl-preprocessor/wgsl-preprocessor.js' {
  export function wgsl(strings: TemplateStringsArray, ...values: unknown[]): string;
}
