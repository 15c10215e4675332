// esbuild bundles a stylesheet imported for its side effect into the build's one .css file.
declare module "*.css";
