/** Server tools of `bench/limits.bench.ts`: `blob` returns `size` bytes of text, `echo` its params. */
export default {
  blob: (params: Record<string, unknown>) => "x".repeat(Number(params.size)),
  echo: (params: Record<string, unknown>) => params,
};
