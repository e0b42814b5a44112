// Opens a keyrot HTML report in real headless Chromium (puppeteer-core, the Debian browser)
// and prints what a reader would see, as JSON: at 1280 px on screen, after "show all", and in
// print emulation. Screenshots go to OUT_DIR. Used by tests/report.rs.
const puppeteer = require('puppeteer-core');
const [page_path, out_dir] = process.argv.slice(2);

function look() {
  const visible = (e) => e.getClientRects().length > 0;
  const rows = [...document.querySelectorAll('tr.finding')];
  const fixes = [...document.querySelectorAll('.fix')];
  const commands = [...document.querySelectorAll('.fix pre')];
  const first = document.querySelector('header').nextElementSibling;
  return {
    overflow: document.documentElement.scrollWidth - window.innerWidth,
    severities: rows.map((r) => r.dataset.severity),
    rows: rows.length,
    visible_rows: rows.filter(visible).length,
    fixes: fixes.length,
    visible_fixes: fixes.filter(visible).length,
    visible_commands: commands.filter(visible).length,
    commands: commands.length,
    height: document.documentElement.scrollHeight,
    first_section: first ? first.id : null,
    text: document.body.innerText,
  };
}

(async () => {
  const browser = await puppeteer.launch({
    executablePath: process.env.KEYROT_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const page = await browser.newPage();
    const problems = [];
    page.on('pageerror', (e) => problems.push(String(e)));
    page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
    page.on('request', (r) => { if (!r.url().startsWith('file:')) problems.push('request ' + r.url()); });
    await page.setViewport({ width: 1280, height: 1000 });
    await page.goto('file://' + page_path, { waitUntil: 'load' });
    const screen = await page.evaluate(look);
    await page.screenshot({ path: out_dir + '/screen.png' });
    await page.screenshot({ path: out_dir + '/screen-full.png', fullPage: true });
    const buttons = await page.$$('button.more');
    for (const b of buttons) await b.click();
    const all = await page.evaluate(look);
    for (const b of buttons) await b.click();
    await page.emulateMediaType('print');
    const print = await page.evaluate(look);
    await page.screenshot({ path: out_dir + '/print.png', fullPage: true });
    console.log(JSON.stringify({ screen, all, print, buttons: buttons.length, problems }));
  } finally {
    await browser.close();
  }
})().catch((e) => { console.error(e); process.exit(1); });
