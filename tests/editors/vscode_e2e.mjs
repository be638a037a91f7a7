// Drives the real VS Code workbench (code-server) in headless Chromium with playwright-core:
// ghost text typed and accepted with Tab; a held-back automatic suggestion; a flagged suggestion
// seen before accepting, its diagnostic after, and "Mark as reviewed" clearing it.
// Started by tests/editors/test_vscode.py, which sets the environment below and checks the
// result file; screenshots go to EC_OUT.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const env = (name) => {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set`);
  }
  return value;
};
const URL_ = env('EC_URL');
const OUT = env('EC_OUT');
const SETTINGS = env('EC_SETTINGS'); // the user settings.json code-server reads
const { chromium } = createRequire(join(env('EC_VSCODE_DIR'), 'package.json'))('playwright-core');

const result = { steps: [], ok: false };
const save = () => writeFileSync(join(OUT, 'result.json'), JSON.stringify(result, null, 1));
const step = (name, data = {}) => {
  result.steps.push({ name, t: Math.round(performance.now()), ...data });
  save();
};

const browser = await chromium.launch({
  executablePath: env('EC_CHROMIUM'),
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
});
const page = await browser.newPage({ viewport: { width: 1024, height: 640 } });
const shot = (name) => page.screenshot({ path: join(OUT, `${name}.png`) });

async function until(what, probe, timeout = 30_000) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const value = await probe();
    if (value) {
      return value;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}`);
    }
    await page.waitForTimeout(100);
  }
}

/** Our status bar item's text (codicons dropped), or ''. */
async function status() {
  return page.evaluate(() => {
    for (const el of document.querySelectorAll('.statusbar-item')) {
      const text = (el.textContent ?? '').trim();
      if (/entropy-complete|confidence|review:|held back/.test(text)) {
        return text;
      }
    }
    return '';
  });
}

/** The editor's lines as rendered (ghost text included while it shows), top to bottom. */
async function lines() {
  return page.evaluate(() => {
    const editor = document.querySelector('.editor-instance .monaco-editor');
    const rows = [...(editor?.querySelectorAll('.view-line') ?? [])];
    return rows
      .map((el) => ({ top: parseFloat(el.style.top || '0'), text: (el.textContent ?? '').replace(/\u00a0/g, ' ') }))
      .sort((a, b) => a.top - b.top)
      .map((r) => r.text);
  });
}

async function ghost() {
  return page.evaluate(() =>
    [...document.querySelectorAll('.editor-instance .monaco-editor .ghost-text-decoration, .editor-instance .monaco-editor .ghost-text')]
      .map((el) => (el.textContent ?? '').replace(/\u00a0/g, ' '))
      .join(''),
  );
}

async function openFile(name) {
  await page.keyboard.press('Control+P');
  await page.waitForSelector('.quick-input-widget input', { state: 'visible' });
  await page.keyboard.type(name);
  const row = await until(`${name} in quick open`, async () => {
    const rows = page.locator('.quick-input-list .monaco-list-row');
    const texts = await rows.allInnerTexts();
    const i = texts.findIndex((t) => t.includes(name));
    return i >= 0 ? rows.nth(i) : undefined;
  });
  await row.click();
  await until(`${name} open`, async () => (await page.locator('.tab.active').innerText()).includes(name));
  await page.locator('.editor-instance .monaco-editor .view-lines').click();
  await page.keyboard.press('Control+End');
}

async function runCommand(title) {
  await page.keyboard.press('F1');
  await page.waitForSelector('.quick-input-widget input', { state: 'visible' });
  await page.keyboard.type(title);
  await until(`"${title}" in the palette`, async () => {
    const rows = await page.locator('.quick-input-list .monaco-list-row').allInnerTexts();
    return rows.some((r) => r.includes(title));
  });
  await page.keyboard.press('Enter');
}

async function saveFile() {
  await page.keyboard.press('Control+S');
  await until('the file to be saved', async () => (await page.locator('.tab.active.dirty').count()) === 0);
}

async function problems() {
  return page.evaluate(() => document.querySelectorAll('.editor-instance .monaco-editor .squiggly-warning').length);
}

try {
  await page.goto(URL_);
  await page.waitForSelector('.monaco-workbench', { timeout: 60_000 });
  step('workbench');

  // 1. Type, see our ghost text, accept it with Tab, read the line back.
  await openFile('shapes.py');
  const ready = await until('the model to be ready', async () => {
    const s = await status();
    return s.includes('shipped model') ? s : '';
  }, 90_000);
  step('ready', { status: ready });
  const before = (await lines()).at(-1);
  await page.keyboard.type(' '); // after `return`: an automatic inline request
  const shown = await until('ghost text', ghost);
  const conf = await until('the confidence in the status bar', async () => {
    const s = await status();
    return s.includes('confidence') ? s : '';
  });
  result.ghost = shown;
  result.before = `${before} `;
  step('ghost text', { ghost: shown, status: conf });
  await shot('01-ghost-text');
  await page.keyboard.press('Tab');
  await until('the ghost text to be accepted', async () => (await ghost()) === '');
  result.after = (await lines()).at(-1);
  result.statusAfterAccept = await status();
  await saveFile();
  step('accepted', { line: result.after });
  await shot('02-accepted');

  await page.keyboard.press('Control+W');

  // 2. A setting changed in the Settings editor while the server runs: every automatic
  // suggestion now holds back.
  await runCommand('Preferences: Open User Settings');
  await page.waitForSelector('.settings-editor .suggest-input-container', { state: 'visible' });
  await page.keyboard.type('entropyComplete.automatic.abstainBelow');
  await until('the search to find the one setting', async () =>
    (await page.locator('.settings-editor .settings-count-widget').innerText()).includes('1 Setting Found'),
  );
  await page.waitForTimeout(300); // the list re-renders after the count
  const input = page.locator('.settings-editor .setting-item-contents input:visible').first();
  await input.waitFor({ state: 'visible' });
  await input.click();
  await page.keyboard.press('Control+A');
  await page.keyboard.type('0.99');
  await until('the setting to be saved', async () => {
    let saved;
    try {
      saved = JSON.parse(readFileSync(SETTINGS, 'utf8'));
    } catch {
      return false; // read while VS Code was writing it: look again
    }
    return saved['entropyComplete.automatic.abstainBelow'] === 0.99;
  }, 10_000);
  step('setting changed');
  await shot('03-setting');
  await page.keyboard.press('Control+W');
  await openFile('run_shell.py');
  await page.keyboard.type('=');
  result.heldBack = await until('the held-back note', async () => {
    const s = await status();
    return s.includes('held back') ? s : '';
  });
  result.ghostWhileHeldBack = await ghost();
  step('held back', { status: result.heldBack });
  await shot('04-held-back');

  // 3. Ask for alternatives: a suggestion that calls subprocess with shell=True is marked first.
  await runCommand('entropy-complete: Ask for Alternatives');
  result.flaggedGhost = await until('flagged ghost text', ghost);
  result.flaggedStatus = await until('the review warning in the status bar', async () => {
    const s = await status();
    return s.includes('review:') ? s : '';
  });
  step('flag before accepting', { ghost: result.flaggedGhost, status: result.flaggedStatus });
  await shot('05-flag-before-accept');
  // The flagged line's hover explains it.
  const row = page.locator('.editor-instance .monaco-editor .view-line').filter({ hasText: 'check_output' });
  const box = await row.boundingBox();
  if (box) {
    await page.mouse.move(box.x + 40, box.y + box.height / 2);
    result.hover = await until('the review hover', async () => {
      const text = await page.evaluate(() =>
        [...document.querySelectorAll('.monaco-hover')].map((el) => el.textContent ?? '').join(' '),
      );
      return text.includes('review before accepting') ? text : '';
    }, 10_000).catch(() => '');
    step('hover', { hover: result.hover });
    await shot('06-flag-hover');
    await page.mouse.move(5, 5);
  }
  await page.locator('.editor-instance .monaco-editor .view-lines').click();
  await page.keyboard.press('Control+End');
  // Clicking may have hidden the ghost text: ask again, then accept.
  if ((await ghost()) === '') {
    await runCommand('entropy-complete: Ask for Alternatives');
    await until('flagged ghost text again', ghost);
  }
  await page.keyboard.press('Tab');
  await until('the flagged suggestion to be accepted', async () => (await ghost()) === '');
  result.flaggedLine = (await lines()).at(-1);
  await until('the review diagnostic', async () => (await problems()) > 0);
  await page.keyboard.press('Control+Shift+M'); // the Problems view
  result.problems = await until('the Problems view entry', async () => {
    const text = (await page.locator('.markers-panel').allInnerTexts()).join(' ');
    return text.includes('CWE-78') ? text : '';
  });
  step('diagnostic after accepting', { problems: result.problems });
  await shot('07-diagnostic');

  // 4. The unreviewed-flags list names it.
  await runCommand('entropy-complete: List Unreviewed Flags');
  result.unreviewed = await until('the unreviewed flag in the list', async () => {
    const rows = await page.locator('.quick-input-list .monaco-list-row').allInnerTexts();
    return rows.find((r) => r.includes('py.subprocess-shell')) ?? '';
  });
  step('unreviewed list', { row: result.unreviewed });
  await shot('08-unreviewed-list');
  await page.keyboard.press('Escape');

  // 5. Quick fix "Mark as reviewed" clears it.
  await page.locator('.editor-instance .monaco-editor .view-lines').click();
  await page.keyboard.press('Control+End');
  await page.keyboard.press('Control+.');
  await until('"Mark as reviewed" in the quick fix menu', async () => {
    const items = await page.locator('.action-widget .monaco-list-row').allInnerTexts();
    return items.some((t) => t.includes('Mark as reviewed'));
  });
  await shot('09-quick-fix');
  // The menu holds the keyboard: move to the action, then Enter applies it.
  for (let i = 0; i < 5; i++) {
    const focused = await page.locator('.action-widget .monaco-list-row.focused').getAttribute('aria-label');
    if (focused === 'Mark as reviewed') {
      break;
    }
    await page.keyboard.press('ArrowDown');
  }
  await page.keyboard.press('Enter');
  await until('the diagnostic to clear', async () => (await problems()) === 0);
  result.problemsAfterReview = (await page.locator('.markers-panel').allInnerTexts()).join(' ');
  step('reviewed');
  await shot('10-reviewed');
  await saveFile();

  // 6. A broken server (its path set to a program that exits at once): one notification with
  // "Open settings" and "Show log", and no restart loop.
  await page.keyboard.press('Control+J'); // hide the panel (Problems) again: Ctrl+Shift+M only focuses it
  await runCommand('Preferences: Open User Settings');
  await page.waitForSelector('.settings-editor .suggest-input-container', { state: 'visible' });
  await page.keyboard.type('entropyComplete.server.path');
  // A machine-overridable setting: in a remote window (code-server is one) it lives under Remote.
  await page.locator('.settings-tabs-widget .action-label', { hasText: 'Remote' }).click();
  await until('the server path setting', async () =>
    (await page.locator('.settings-editor .settings-count-widget').innerText()).includes('1 Setting Found'),
  );
  await page.waitForTimeout(300);
  const pathInput = page.locator('.settings-editor .setting-item-contents input:visible').first();
  await pathInput.click();
  await page.keyboard.press('Control+A');
  await page.keyboard.type(env('EC_BROKEN_SERVER'));
  const toasts = page.locator('.notifications-toasts .notification-toast');
  result.brokenToast = await until('the broken-server notification', async () => {
    const texts = await toasts.allInnerTexts();
    return texts.find((t) => t.includes('entropy-complete:')) ?? '';
  });
  // A restart loop would add more notifications by now: the client restarts a server that
  // stopped at once, and `false` exits in milliseconds.
  await page.waitForTimeout(2000);
  result.brokenToasts = (await toasts.allInnerTexts()).filter((t) => t.includes('entropy-complete')).length;
  result.brokenStatus = await status();
  step('broken server', { toast: result.brokenToast, status: result.brokenStatus });
  await shot('11-broken-server');
  result.ok = true;
} catch (error) {
  result.why = String(error?.stack ?? error);
  await shot('failure').catch(() => {});
} finally {
  save();
  await browser.close();
}
process.exit(result.ok ? 0 : 1);
