"""Measures the desktop app on a large library through WebDriver (run by
scripts/bench-app.sh, which builds the library and starts Xvfb and tauri-driver):

- unlock click -> first grid paint, and -> every on-screen thumbnail shown;
- while scrolling: thumbnail inserted -> shown, per image;
- the vault:// protocol: image src set -> decoded, for thumbnails, side by side with the
  same JPEG bytes from a data: URL (the webview's own decode floor, no decryption, no IPC).

Usage: bench-app.py APP VAULT_DIR PASSWORD THUMB_JPEG
"""

import base64
import statistics
import sys
import time
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.common.options import ArgOptions

APP, VAULT, PASSWORD, THUMB = sys.argv[1], sys.argv[2], sys.argv[3], Path(sys.argv[4])


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def row(label, values, unit="ms"):
    print(
        f"{label:<46} n={len(values):<6} p50={pct(values, 50):7.2f} {unit}"
        f"  p95={pct(values, 95):7.2f} {unit}  max={max(values):7.2f} {unit}"
    )


options = ArgOptions()
options.set_capability("browserName", "wry")
options.set_capability("tauri:options", {"application": APP})
d = webdriver.Remote("http://127.0.0.1:4444", options=options)
d.set_script_timeout(300)
try:
    # The app remembers the vault from its settings (written by bench-app.sh).
    field = None
    for _ in range(300):
        found = d.find_elements(By.CSS_SELECTOR, "#unlock-password")
        if found:
            field = found[0]
            break
        time.sleep(0.05)
    field.send_keys(PASSWORD)
    first_paint, all_shown, items = d.execute_async_script(
        """const done = arguments[0];
           const t0 = performance.now();
           let painted = null;
           document.querySelector('#unlock-button').click();
           (function poll() {
             const cells = document.querySelectorAll('.cell');
             if (cells.length && painted === null) painted = performance.now() - t0;
             const imgs = [...document.querySelectorAll('img.thumb')];
             if (imgs.length && imgs.every(i => i.complete && i.naturalWidth > 0)) {
               done([painted, performance.now() - t0,
                     document.querySelector('#item-count').textContent]);
             } else requestAnimationFrame(poll);
           })();"""
    )
    print(f"{'unlock click -> first grid paint':<46} {first_paint:8.1f} ms (includes Argon2id)")
    print(f"{'unlock click -> all visible thumbnails shown':<46} {all_shown:8.1f} ms")

    # The timeline query alone, over IPC (what the first paint waits for after unlock).
    timings = d.execute_async_script(
        """const done = arguments[0];
           (async () => {
             const out = [];
             for (let i = 0; i < 5; i++) {
               const t0 = performance.now();
               const items = await window.__TAURI_INTERNALS__.invoke('timeline', {filter: {}});
               out.push(performance.now() - t0);
             }
             done(out);
           })();"""
    )
    row("timeline of the whole library over IPC", timings)
    print(f"(library: {d.find_element(By.CSS_SELECTOR, '#item-count').text} items; first paint showed {items})")

    # Scroll through the grid like a person flicking a trackpad: 800 px every 50 ms.
    latencies = d.execute_async_script(
        """const done = arguments[0];
           const inserted = new WeakMap();
           const waits = [];
           new MutationObserver(records => {
             for (const r of records) for (const n of r.addedNodes) {
               if (!(n instanceof Element)) continue;
               for (const img of n.matches('img.thumb') ? [n] : n.querySelectorAll('img.thumb')) {
                 inserted.set(img, performance.now());
                 img.addEventListener('load', () => waits.push(performance.now() - inserted.get(img)), {once: true});
               }
             }
           }).observe(document.querySelector('.grid-canvas'), {childList: true, subtree: true});
           const g = document.querySelector('.grid-scroller');
           let steps = 0;
           const timer = setInterval(() => {
             g.scrollTop += 800;
             if (++steps === 100) {
               clearInterval(timer);
               setTimeout(() => done(waits), 1500);
             }
           }, 50);"""
    )
    row("scrolling: thumbnail inserted -> shown", latencies)

    ids = d.execute_script(
        "return [...document.querySelectorAll('.cell')].map(c => c.dataset.id).slice(0, 40)"
    )
    data_url = "data:image/jpeg;base64," + base64.b64encode(THUMB.read_bytes()).decode()
    protocol, reference = d.execute_async_script(
        """const [ids, dataUrl, done] = arguments;
           const base = 'vault://localhost/thumb/';
           const time = src => new Promise(resolve => {
             const img = new Image();
             const t0 = performance.now();
             img.onload = () => resolve(performance.now() - t0);
             img.onerror = () => resolve(-1);
             img.src = src;
           });
           (async () => {
             const a = [], b = [];
             for (let round = 0; round < 10; round++) {
               for (const id of ids) {
                 // A fresh query string defeats the webview's memory cache.
                 a.push(await time(base + id + '?r=' + round + Math.random()));
                 b.push(await time(dataUrl + '#' + round + Math.random()));
               }
             }
             done([a, b]);
           })();""",
        ids,
        data_url,
    )
    assert all(v >= 0 for v in protocol), "a thumbnail failed to load"
    row("vault:// thumbnail, src set -> decoded", protocol)
    row("reference: same JPEG from a data: URL", reference)

    # The unlock command alone (Argon2id, opening the catalog connections).
    unlock_ms = d.execute_async_script(
        """const [password, done] = arguments;
           (async () => {
             const invoke = window.__TAURI_INTERNALS__.invoke;
             await invoke('lock', {});
             const t0 = performance.now();
             await invoke('unlock', {password});
             done(performance.now() - t0);
           })();""",
        PASSWORD,
    )
    print(f"{'unlock command over IPC':<46} {unlock_ms:8.1f} ms")
finally:
    d.quit()
