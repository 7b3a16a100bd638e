export { type CompiledCreative, compileCreative, isSecureCreative } from './compile-creative.ts';
export { type Fit, fitCreative } from './fit-creative.ts';
export { assembleNative, type NativeRequest, type NativeRequestAsset, parseNativeRequest } from './native.ts';
export { renderMarkup } from './render-markup.ts';
