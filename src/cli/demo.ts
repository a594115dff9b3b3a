// `driftwatch demo`: not built yet; its issue wires it.
export async function demoCommand(_options: Record<string, unknown>): Promise<number> {
  process.stderr.write('driftwatch demo: not built yet (see the open issues); use "driftwatch run --once" meanwhile\n');
  return 2;
}
