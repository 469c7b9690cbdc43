/* The shopper's phone page: sign-in (the mini-program's session, or the fake WeChat in
 * development), photo upload with a progress bar, the result arriving live (server-sent
 * events), membership and history. No inline script, no CDN. The API client is m-api.js,
 * the photo's shrinking and sending m-photo.js, list items m-lists.js. */
"use strict";

(function (RP) {
  const { ApiError, MESSAGES, WAITING, element, request } = RP;
  const POLL_MS = 2000;
  const POLL_TRIES = 90;
  const PAGE = 10;

  const $ = (id) => document.getElementById(id);
  const state = { config: null, receiptsBefore: null, historyBefore: null };

  // --- notices ---------------------------------------------------------------------

  function notify(message, kind) {
    const box = $("notice");
    box.textContent = message;
    box.className = kind === "info" ? "notice info" : "notice";
    box.hidden = !message;
  }

  function handle(error) {
    if (error instanceof ApiError && error.status === 401) {
      RP.clearSession();
      showSignIn();
      notify(MESSAGES.signedOut);
      return;
    }
    notify(error instanceof ApiError ? error.message : MESSAGES.busy);
  }

  // --- sign-in ---------------------------------------------------------------------

  function showSignIn() {
    $("app").hidden = true;
    $("logout").hidden = true;
    $("signin").hidden = false;
    const dev = Boolean(state.config && state.config.dev_sign_in);
    $("dev-signin").hidden = !dev;
    $("signin-hint").hidden = dev;
  }

  async function devSignIn(event) {
    event.preventDefault();
    const button = $("dev-signin-button");
    button.disabled = true;
    try {
      const openid = $("dev-openid").value.trim();
      const { code } = await request("/dev/wechat-code", {
        method: "POST", body: { openid }, auth: false,
      });
      const session = await request("/auth/wechat", {
        method: "POST", body: { code }, auth: false,
      });
      RP.saveSession(session.access_token, session.refresh_token);
      notify("");
      await showApp();
    } catch (error) {
      handle(error);
    } finally {
      button.disabled = false;
    }
  }

  async function logOut() {
    try {
      await request("/auth/logout", { method: "POST" });
    } catch (error) {
      // signed out here either way
    }
    RP.clearSession();
    showSignIn();
    notify("已退出登录", "info");
  }

  // --- membership ------------------------------------------------------------------

  async function showApp() {
    $("signin").hidden = true;
    $("app").hidden = false;
    $("logout").hidden = false;
    const me = await request("/members/me");
    $("member-code").textContent = `会员号 ${me.code}`;
    await Promise.all([loadAccount(), loadReceipts(true), loadHistory(true)]);
  }

  async function loadAccount() {
    const account = await request("/members/me/points");
    $("balance").textContent = String(account.balance);
    $("tier-name").textContent = account.tier.name;
    const next = account.next_tier;
    const bar = $("growth-bar");
    if (next) {
      const target = account.growth + next.growth_needed;
      bar.style.width = `${Math.min(100, Math.round((100 * account.growth) / (target || 1)))}%`;
      $("growth-text").textContent = `成长值 ${account.growth}，再消费 ${next.growth_needed} 元`
        + `升级为${next.name}`;
    } else {
      bar.style.width = "100%";
      $("growth-text").textContent = `成长值 ${account.growth}，已是最高等级`;
    }
    const expiring = account.expiring;
    $("expiring").hidden = !expiring;
    if (expiring) {
      $("expiring").textContent = `${expiring.points} 积分将于 ${expiring.on} 过期`;
    }
  }

  // --- upload ----------------------------------------------------------------------

  function setProgress(fraction, text) {
    $("progress").hidden = false;
    $("progress-bar").style.width = `${Math.round(fraction * 100)}%`;
    $("progress-text").textContent = text;
  }

  async function onPhoto(event) {
    const input = event.target;
    const file = input.files && input.files[0];
    input.value = "";
    if (!file) return;
    notify("");
    if (!navigator.onLine) { notify(MESSAGES.offline); return; }
    $("result").hidden = true;
    setProgress(0, "正在压缩图片…");
    try {
      const blob = await RP.shrink(file, {
        longSide: state.config.photo_long_side, maxBytes: state.config.max_upload_bytes,
      });
      setProgress(0, "正在上传 0%");
      const accepted = await RP.send(blob, (fraction) => setProgress(
        fraction, `正在上传 ${Math.round(100 * fraction)}%`));
      setProgress(1, "上传完成");
      showResult(accepted);
      if (WAITING.includes(accepted.status)) {
        watch(accepted.id);
      } else {  // decided at once (a repeat of a photo): show why
        showResult(await request(`/receipts/${accepted.id}`));
        loadAfterDecision();
      }
    } catch (error) {
      $("progress").hidden = true;
      handle(error);
    }
  }

  // --- the result, live ------------------------------------------------------------

  const STATUS_LINE = {
    received: "已收到，正在排队识别…",
    processing: "正在识别小票…",
    approved: "积分成功",
    needs_review: "人工审核中",
    duplicate: "重复小票，未积分",
    rejected: "未通过审核",
    reversed: "积分已冲红",
  };

  function showResult(receipt) {
    const box = $("result");
    box.hidden = false;
    box.dataset.receipt = receipt.id;
    box.dataset.status = receipt.status;
    box.className = `result ${WAITING.includes(receipt.status) ? "waiting" : receipt.status}`;
    $("result-status").textContent = STATUS_LINE[receipt.status] || receipt.status_text;
    const approved = receipt.status === "approved";
    $("result-points").hidden = !approved;
    $("result-points").textContent = approved ? `+${receipt.points} 积分` : "";
    const fields = $("result-fields");
    fields.replaceChildren();
    const shown = [["商户", receipt.merchant], ["消费日期", receipt.date],
      ["金额", receipt.total ? `¥${receipt.total}` : null]];
    for (const [label, value] of shown) {
      if (!value) continue;
      fields.append(element("dt", label), element("dd", value));
    }
    $("result-explanation").hidden = !receipt.points_explanation;
    $("result-explanation").textContent = receipt.points_explanation || "";
    const reasons = $("result-reasons");
    reasons.replaceChildren(...(receipt.reasons || []).map((r) => element("li", r.message)));
    const note = receipt.status === "needs_review"
      ? "服务台会尽快审核，结果会显示在小票记录中。" : "";
    $("result-note").hidden = !note;
    $("result-note").textContent = note;
  }

  async function watch(receiptId) {
    if (!window.EventSource) { poll(receiptId, 0); return; }
    let ticket;
    try {
      ticket = await request(`/receipts/${receiptId}/events-ticket`, { method: "POST" });
    } catch (error) {
      poll(receiptId, 0);
      return;
    }
    const source = new EventSource(ticket.events_url);
    let ended = false;
    source.addEventListener("status", (event) => showResult(JSON.parse(event.data)));
    source.addEventListener("end", () => {
      ended = true;
      source.close();
      loadAfterDecision();
    });
    source.addEventListener("timeout", () => { ended = true; source.close(); poll(receiptId, 0); });
    source.addEventListener("error", () => {
      if (ended) return;
      source.close();  // a dropped stream: carry on by asking now and then
      poll(receiptId, 0);
    });
  }

  async function poll(receiptId, tries) {
    if (tries >= POLL_TRIES) { notify(MESSAGES.watchLost, "info"); return; }
    try {
      const receipt = await request(`/receipts/${receiptId}`);
      showResult(receipt);
      if (!WAITING.includes(receipt.status)) { loadAfterDecision(); return; }
    } catch (error) {
      if (error.status === 401) { handle(error); return; }
    }
    setTimeout(() => poll(receiptId, tries + 1), POLL_MS);
  }

  function loadAfterDecision() {
    Promise.all([loadAccount(), loadReceipts(true), loadHistory(true)]).catch(handle);
  }

  // --- history ---------------------------------------------------------------------

  async function loadReceipts(fresh) {
    if (fresh) state.receiptsBefore = null;
    const before = state.receiptsBefore ? `&before=${state.receiptsBefore}` : "";
    const page = await request(`/receipts?limit=${PAGE}${before}`);
    const list = $("receipts");
    if (fresh) list.replaceChildren();
    list.append(...page.items.map(RP.receiptItem));
    state.receiptsBefore = page.next_before;
    $("receipts-more").hidden = !page.next_before;
    $("receipts-empty").hidden = list.children.length > 0;
  }

  async function loadHistory(fresh) {
    if (fresh) state.historyBefore = null;
    const before = state.historyBefore ? `&before_id=${state.historyBefore}` : "";
    const page = await request(`/members/me/points/history?limit=${PAGE}${before}`);
    const list = $("history");
    if (fresh) list.replaceChildren();
    list.append(...page.items.map(RP.historyItem));
    state.historyBefore = page.next_before_id;
    $("history-more").hidden = !page.next_before_id;
    $("history-empty").hidden = list.children.length > 0;
  }

  function showTab(event) {
    const name = event.currentTarget.dataset.tab;
    for (const tab of document.querySelectorAll(".tab")) {
      tab.classList.toggle("active", tab.dataset.tab === name);
    }
    $("tab-receipts").hidden = name !== "receipts";
    $("tab-history").hidden = name !== "history";
  }

  // --- start -----------------------------------------------------------------------

  async function start() {
    RP.takeSessionFromFragment();
    $("dev-signin").addEventListener("submit", devSignIn);
    $("logout").addEventListener("click", logOut);
    $("photo-camera").addEventListener("change", onPhoto);
    $("photo-album").addEventListener("change", onPhoto);
    $("receipts-more").addEventListener("click", () => loadReceipts(false).catch(handle));
    $("history-more").addEventListener("click", () => loadHistory(false).catch(handle));
    for (const tab of document.querySelectorAll(".tab")) tab.addEventListener("click", showTab);
    window.addEventListener("offline", () => notify(MESSAGES.offline));
    window.addEventListener("online", () => notify(""));
    try {
      state.config = await request("/client-config", { auth: false });
    } catch (error) {
      handle(error);
      return;
    }
    if (!RP.accessToken()) { showSignIn(); return; }
    try {
      await showApp();
    } catch (error) {
      handle(error);
    }
    document.body.dataset.ready = "true";
  }

  document.addEventListener("DOMContentLoaded", start);
}(window.RP));
