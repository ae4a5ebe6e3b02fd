/* The visit form on a phone, offline first: what is typed is kept as a draft on the phone
   (nothing is lost when the page is left half-way), and "save" puts the visit in the outbox
   (outbox.js) as the sync endpoint's record: sent now when there is a connection, later
   when there is not. The record is built the way the server builds it from the same form
   (visits/views.py visit_form); the server checks it again. */
(function () {
  'use strict';
  if (!window.GridGovOutbox) return;

  // Today's list: a household whose visit waits in the outbox says so.
  async function markWaiting() {
    const waiting = new Set((await GridGovOutbox.records())
      .filter((r) => r.body && r.body.household).map((r) => r.body.household));
    for (const card of document.querySelectorAll('[data-visit-household]')) {
      const badge = card.querySelector('[data-visit-waiting]');
      if (badge) badge.hidden = !waiting.has(card.dataset.visitHousehold);
    }
  }
  if (document.querySelector('[data-visit-household]')) {
    markWaiting();
    document.addEventListener('gridgov:outbox-synced', markWaiting);
  }

  const form = document.querySelector('form[data-visit-outbox]');
  if (!form) return;
  const user = document.body.dataset.user || '';
  const draftKey = `gridgov-visit-draft:${user}:${form.dataset.household}`;

  function fields() {
    return Array.from(form.elements).filter((e) => e.name && e.type !== 'hidden' && e.type !== 'submit');
  }

  function saveDraft() {
    const draft = {};
    for (const e of fields()) {
      if (e.type === 'checkbox') draft[`${e.name}=${e.value}`] = e.checked;
      else draft[e.name] = e.value;
    }
    draft.client_uuid = form.elements.client_uuid.value;
    draft.started_at = form.elements.started_at.value;
    localStorage.setItem(draftKey, JSON.stringify(draft));
  }

  function restoreDraft() {
    const raw = localStorage.getItem(draftKey);
    if (!raw) return;
    const draft = JSON.parse(raw);
    for (const e of fields()) {
      if (e.type === 'checkbox') {
        const key = `${e.name}=${e.value}`;
        if (key in draft) e.checked = draft[key];
      } else if (e.name in draft) {
        e.value = draft[e.name];
      }
    }
    // The same visit continues: same client id, same start.
    if (draft.client_uuid) form.elements.client_uuid.value = draft.client_uuid;
    if (draft.started_at) form.elements.started_at.value = draft.started_at;
    const note = form.querySelector('[data-draft-restored]');
    if (note) note.hidden = false;
  }

  function answerValue(element) {
    const value = element.value.trim();
    if (value === '') return undefined;
    if (element.dataset.type === 'bool') return value === 'yes';
    if (element.type === 'number') return Number(value);
    return value;
  }

  function record() {
    const data = new FormData(form);
    const outcome = data.get('outcome') || '';
    const answers = {};
    if (outcome === 'completed' || outcome === 'partial') {
      for (const e of fields()) {
        if (!e.name.startsWith('a_')) continue;
        const code = e.name.slice(2);
        if (e.type === 'checkbox') {
          if (!Array.isArray(answers[code])) answers[code] = [];
          if (e.checked) answers[code].push(e.value);
          continue;
        }
        const value = answerValue(e);
        if (value !== undefined) answers[code] = value;
      }
      for (const [code, value] of Object.entries(answers)) {
        if (Array.isArray(value) && value.length === 0) delete answers[code];
      }
    }
    const corrections = [];
    for (const e of fields()) {
      const [kind, resident] = e.name.split('_');
      if (kind === 'confirm' && e.checked) corrections.push({ resident, confirm: true });
      if (kind === 'phone' && e.value.trim()) {
        corrections.push({ resident, field: 'phone', value: e.value.trim() });
      }
    }
    let versions = {};
    try { versions = JSON.parse(data.get('versions') || '{}'); } catch (error) { versions = {}; }
    const need = (data.get('need') || '').trim();
    const problem = (data.get('problem') || '').trim();
    const body = {
      client_uuid: data.get('client_uuid'),
      household: form.dataset.household,
      outcome,
      started_at: data.get('started_at') || new Date().toISOString(),
      ended_at: new Date().toISOString(),
      channel: data.get('form') === 'short' ? 'paper' : 'app',
      refusal_reason: outcome === 'refused' ? (data.get('refusal_reason') || '') : '',
      note: data.get('note') || '',
      notice_given: data.get('notice_given') === '1',
      commitment_signed: data.get('commitment_signed') === '1',
      versions,
      answers,
      corrections,
      needs: need ? [{ category: '', text: need }] : [],
      problems: problem ? [{ title: problem }] : [],
    };
    if (form.dataset.task) body.task = form.dataset.task;
    return body;
  }

  // A new visit gets its client id on the phone, so a page kept offline and used twice
  // still makes two records; a draft continues its own.
  if (!localStorage.getItem(draftKey)) {
    form.elements.client_uuid.value = crypto.randomUUID();
    form.elements.started_at.value = new Date().toISOString();
  }
  restoreDraft();
  form.addEventListener('input', saveDraft);
  form.addEventListener('change', saveDraft);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const body = record();
    await GridGovOutbox.add({ client_uuid: body.client_uuid, url: form.dataset.syncUrl, body });
    localStorage.removeItem(draftKey);
    window.location.assign(form.dataset.next);
  });
}());
