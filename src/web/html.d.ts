/** The bundler (scripts/bundle.mjs) inlines .html files as text. */
declare module '*.html' {
  const text: string;
  export default text;
}
