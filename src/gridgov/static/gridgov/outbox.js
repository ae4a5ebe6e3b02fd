/* GridGov outbox: what a worker submits while offline waits in IndexedDB (idb) and is sent
   when the connection returns; the page shows what is waiting and when it last synced.
   Registers the service worker (core/offline.py) for signed-in users.

   GridGovOutbox.add({client_uuid, url, body}) keeps a record for `url` (a sync endpoint
   taking {"records": [...]} and answering {"results": [...]} in the same order, each with
   its HTTP-like status). A 200/201 answer removes the record; any other answer keeps it,
   marked refused with the server's message, for the worker to see. Records belong to the
   user who made them: another user signed in on the same phone neither sees nor sends them. */
(function () {
  'use strict';
  const DB_NAME = 'gridgov-outbox';
  const RECORDS = 'records';
  const META = 'meta';
  const body = document.body;
  const user = body.dataset.user || '';
  let flushing = null;
  let connection = null;

  function open() {
    // One connection per page, closed when another page deletes the database (sign-out).
    connection = connection || idb.openDB(DB_NAME, 1, {
      upgrade(db) {
        db.createObjectStore(RECORDS, { keyPath: 'client_uuid' });
        db.createObjectStore(META);
      },
      blocking() {
        close();
      },
    });
    return connection;
  }

  async function close() {
    if (!connection) return;
    const db = await connection;
    connection = null;
    db.close();
  }

  async function mine() {
    const db = await open();
    return (await db.getAll(RECORDS)).filter((r) => r.user === user);
  }

  async function add(record) {
    if (!record || !record.client_uuid || !record.url) throw new Error('client_uuid and url');
    const db = await open();
    await db.put(RECORDS, { ...record, user, queued_at: Date.now(), state: 'waiting' });
    await render();
    flush();
    return record.client_uuid;
  }

  function csrfToken() {
    const match = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : '';
  }

  async function sendGroup(db, url, records) {
    let response;
    try {
      response = await fetch(url, {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json', 'X-CSRFToken': csrfToken() },
        body: JSON.stringify({ records: records.map((r) => r.body) }),
      });
    } catch (error) {
      return false; // still offline: try again when the connection returns
    }
    if (!response.ok) return false; // signed out or the server is failing: keep everything
    const answer = await response.json();
    const results = answer.results || [];
    for (let i = 0; i < records.length; i += 1) {
      const result = results[i] || {};
      if (result.status === 200 || result.status === 201) {
        await db.delete(RECORDS, records[i].client_uuid);
      } else if (result.status) {
        await db.put(RECORDS, { ...records[i], state: 'refused', result });
      }
    }
    return true;
  }

  async function flushNow() {
    if (!user || !navigator.onLine) return;
    const db = await open();
    const waiting = (await mine()).filter((r) => r.state === 'waiting');
    const byUrl = new Map();
    for (const record of waiting) {
      if (!byUrl.has(record.url)) byUrl.set(record.url, []);
      byUrl.get(record.url).push(record);
    }
    let synced = false;
    for (const [url, records] of byUrl) {
      for (let start = 0; start < records.length; start += 50) {
        if (!(await sendGroup(db, url, records.slice(start, start + 50)))) break;
        synced = true;
      }
    }
    if (synced || waiting.length === 0) await db.put(META, Date.now(), `last-sync:${user}`);
    await render();
    document.dispatchEvent(new CustomEvent('gridgov:outbox-synced'));
  }

  function flush() {
    // One flush at a time: a second call waits for the first (records are sent once).
    flushing = (flushing || Promise.resolve()).then(flushNow, flushNow);
    return flushing;
  }

  async function render() {
    const status = document.querySelector('[data-outbox-status]');
    if (!status || !user) return;
    const records = await mine();
    const waiting = records.filter((r) => r.state === 'waiting').length;
    const refused = records.length - waiting;
    const last = await (await open()).get(META, `last-sync:${user}`);
    const offline = !navigator.onLine;
    const parts = [];
    if (offline) parts.push(status.dataset.offline);
    if (waiting) parts.push(status.dataset.waiting.replace('{n}', waiting));
    if (refused) parts.push(status.dataset.refused.replace('{n}', refused));
    // Shown only when something needs the worker's attention: offline, or records left.
    if (parts.length && last) {
      const time = new Date(last).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
      parts.push(status.dataset.last.replace('{t}', time));
    }
    status.textContent = parts.join(' · ');
    status.hidden = parts.length === 0;
  }

  async function count() {
    return (await mine()).length;
  }

  // Signing out clears this phone's copy of the outbox (the server also sends
  // Clear-Site-Data); records not yet sent are lost, so the worker is asked first.
  document.addEventListener('submit', async (event) => {
    const form = event.target;
    if (!form.matches('[data-signout]') || form.dataset.confirmed) return;
    event.preventDefault();
    const waiting = user ? await count() : 0;
    if (waiting && !window.confirm(form.dataset.confirm.replace('{n}', waiting))) return;
    try {
      await close();
      const pause = new Promise((resolve) => { setTimeout(resolve, 1500); });
      // Another tab may hold the database open; the server's Clear-Site-Data clears it too.
      await Promise.race([idb.deleteDB(DB_NAME), pause]);
      for (const key of await caches.keys()) await caches.delete(key);
    } catch (error) { /* Clear-Site-Data still clears them */ }
    form.dataset.confirmed = '1';
    form.submit();
  });

  window.addEventListener('online', () => { render(); flush(); });
  window.addEventListener('offline', render);
  window.GridGovOutbox = { add, flush, count, records: mine, render };

  // Past the session's absolute lifetime, a page served from the offline copy drops the
  // kept pages and goes to sign-in (the outbox stays for its user).
  async function endIfExpired() {
    const ends = Number(body.dataset.sessionEnds || 0);
    if (!ends || Date.now() / 1000 < ends) return false;
    try { await caches.delete('gridgov-pages'); } catch (error) { /* nothing kept */ }
    document.querySelector('main').textContent = body.dataset.sessionEnded || '';
    if (navigator.onLine) window.location.assign('/accounts/login/');
    return true;
  }

  // Pages a worker will need offline (the visit forms of the day's households) are fetched
  // ahead while there is a connection; the service worker keeps them.
  async function prefetch() {
    if (!navigator.onLine || !navigator.serviceWorker) return;
    await navigator.serviceWorker.ready;
    const links = new Set(Array.from(document.querySelectorAll('a[data-offline-prefetch]'), (a) => a.href));
    for (const href of links) {
      try {
        await fetch(href, { credentials: 'same-origin', headers: { 'X-Offline-Prefetch': '1' } });
      } catch (error) { return; }
    }
  }

  if (user) {
    endIfExpired();
    render();
    prefetch();
    flush();
    if ('serviceWorker' in navigator && body.dataset.serviceWorker) {
      navigator.serviceWorker.register(body.dataset.serviceWorker, { scope: '/' }).catch(() => {});
    }
  }
}());
