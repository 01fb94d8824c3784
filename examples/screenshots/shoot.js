// Screenshots SVG flame graphs for the README with Debian's chromium
// (tests/browser/flame_page.js): node shoot.js IN.svg OUT.png [IN.svg OUT.png...]
// The picture is taken at the SVG's own size, with the pointer over the
// widest frame whose name contains "Checksum" (else the widest non-root
// frame), so the details line shows its tooltip text.
'use strict';

const fp = require('../../tests/browser/flame_page');
fp.requireBrowserOrSkip();

(async () => {
  const browser = await fp.launch();
  const args = process.argv.slice(2);
  for (let i = 0; i + 1 < args.length; i += 2) {
    const page = await fp.newPage(browser, { width: 1200, height: 400 });
    await fp.open(page, require('path').resolve(args[i]));
    await fp.install(page);
    const size = await page.evaluate(() => {
      const s = document.documentElement;
      return { w: +s.getAttribute('width'), h: +s.getAttribute('height') };
    });
    await page.setViewportSize({ width: size.w, height: size.h });
    const box = await page.evaluate(() => {
      const sf = window.__sf;
      let best = null, bestW = 0;
      for (let pass = 0; pass < 2 && !best; pass++) {
        for (let k = 1; k < sf.count; k++) {
          const b = sf.box(k);
          if (b.width > bestW && (pass || /Checksum/.test(sf.name(k)))) { best = b; bestW = b.width; }
        }
      }
      return { x: best.x + best.width / 2, y: best.y + best.height / 2 };
    });
    await page.mouse.move(box.x, box.y);
    await page.screenshot({ path: args[i + 1] });
    await page.close();
  }
  await browser.close();
})().catch((e) => { console.error(e); process.exit(1); });
