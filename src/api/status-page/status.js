// The status page's script. The server renders every page whole (it reads the same without
// JavaScript); this only keeps it fresh: every few seconds it fetches the page it is on again
// and swaps in the new content and "updated" line, keeping open "detail" sections open. The
// fetched page is parsed as an inert document (its scripts never run) and its nodes moved over.
// No build step.
// The server says how often (`data-refresh-ms`; 0: a page with nothing to refresh).
const REFRESH_MS = Number(document.body.dataset.refreshMs ?? 3000);

/** The `data-key`s of the open <details> under `root`. */
function openKeys(root) {
  return new Set([...root.querySelectorAll('details[open][data-key]')].map((d) => d.dataset.key));
}

/** Puts the content of `next` (a parsed page) in place of this page's. */
function swap(next) {
  const main = document.getElementById('content');
  const fresh = next.getElementById('content');
  const updated = document.getElementById('updated');
  const freshUpdated = next.getElementById('updated');
  if (main === null || fresh === null || updated === null || freshUpdated === null) throw new Error('the page has no content');
  const open = openKeys(main);
  main.replaceChildren(...fresh.childNodes);
  for (const d of main.querySelectorAll('details[data-key]')) if (open.has(d.dataset.key)) d.open = true;
  updated.replaceWith(freshUpdated);
  document.title = next.title;
}

async function refresh() {
  try {
    const res = await fetch(location.href, { cache: 'no-store', headers: { accept: 'text/html' } });
    // A group that is gone answers 404 with a page that says so: that page is shown too.
    if (!(res.headers.get('content-type') ?? '').startsWith('text/html')) throw new Error(`status ${res.status}`);
    swap(new DOMParser().parseFromString(await res.text(), 'text/html'));
  } catch (err) {
    const updated = document.getElementById('updated');
    if (updated !== null) updated.textContent = `cannot reach Sluice (${err.message}); retrying`;
  } finally {
    setTimeout(refresh, REFRESH_MS);
  }
}

if (REFRESH_MS > 0) setTimeout(refresh, REFRESH_MS);
