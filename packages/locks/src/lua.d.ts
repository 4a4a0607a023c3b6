// Lua sources are bundled as text (tsup's text loader, and a Vite plugin in the test config).
declare module "*.lua" {
  const source: string;
  export default source;
}
