// Renders a vega-lite spec to PNG without a browser: vega-lite → vega View (no renderer) → SVG → resvg.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Resvg } from '@resvg/resvg-js';
import { parse, View } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

export interface Png {
  png: Buffer;
  /** Size in CSS pixels: the PNG has `scale` times as many, so it stays sharp on high-density screens. */
  width: number;
  height: number;
}

const FONT_DIR = '/usr/share/fonts/truetype/dejavu';
/** Charts name this family; CI installs it (fonts-dejavu-core) so text renders the same on a bare machine. */
export const CHART_FONT = 'DejaVu Sans';

/** Read once: resvg gets the files explicitly because a bare container may have no fontconfig. */
const fontFiles: string[] = existsSync(FONT_DIR)
  ? readdirSync(FONT_DIR)
      .filter((f) => /^DejaVuSans(-Bold)?\.ttf$/.test(f))
      .map((f) => join(FONT_DIR, f))
  : [];

export async function renderPng(spec: TopLevelSpec, scale = 2): Promise<Png> {
  const view = new View(parse(compile(spec).spec), { renderer: 'none' });
  try {
    const svg = await view.toSVG();
    const resvg = new Resvg(svg, {
      fitTo: { mode: 'zoom', value: scale },
      background: 'white',
      font: { fontFiles, loadSystemFonts: true, defaultFontFamily: CHART_FONT, sansSerifFamily: CHART_FONT },
    });
    const image = resvg.render();
    return { png: image.asPng(), width: Math.round(image.width / scale), height: Math.round(image.height / scale) };
  } finally {
    view.finalize();
  }
}
