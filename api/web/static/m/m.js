/* The shopper's phone page: sign-in (the mini-program's session, or the fake WeChat in
 * development), photo upload with in-browser shrinking and a progress bar, the result
 * arriving live (server-sent events), membership and history. No inline script, no CDN. */
"use strict";

(function () {
  const API = "/api/v1";
  const KEYS = { access: "rp.access", refresh: "rp.refresh" };
  const JPEG_QUALITY = 0.85;
  const POLL_MS = 2000;
  const POLL_TRIES = 90;
  const PAGE = 10;

  const MESSAGES = {
    offline: "网络未连接，请检查网络后重试",
    busy: "服务器繁忙，请稍后再试",
    tooLarge: "图片太大，请重新拍摄或选择较小的图片",
    notImage: "这不是可识别的图片，请选择小票照片",
    unreadable: "无法读取这张图片，请换一张或重新拍摄",
    signedOut: "登录已失效，请重新进入小程序",
    watchLost: "暂时无法获取识别结果，请稍后在小票记录中查看",
  };
  const WAITING = ["received", "processing"];

  const $ = (id) => document.getElementById(id);
  const state = { config: null, receiptsBefore: null, historyBefore: null };

  class ApiError extends Error {
    constructor(status, code, message, retryAfter) {
      super(message);
      this.status = status;
      this.code = code;
      this.retryAfter = retryAfter;
    }
  }

  // --- session ---------------------------------------------------------------------

  function saveSession(access, refresh) {
    localStorage.setItem(KEYS.access, access);
    if (refresh) localStorage.setItem(KEYS.refresh, refresh);
    else localStorage.removeItem(KEYS.refresh);
  }

  function clearSession() {
    localStorage.removeItem(KEYS.access);
    localStorage.removeItem(KEYS.refresh);
  }

  /* In a WeChat web-view the mini-program opens /m/#token=…&refresh=…: the fragment never
   * reaches a server; take it and remove it from the address bar (and history) at once. */
  function takeSessionFromFragment() {
    if (!location.hash) return;
    const params = new URLSearchParams(location.hash.slice(1));
    const token = params.get("token");
    history.replaceState(null, "", location.pathname + location.search);
    if (token) saveSession(token, params.get("refresh"));
  }

  async function refreshSession() {
    const refresh = localStorage.getItem(KEYS.refresh);
    if (!refresh) return false;
    try {
      const session = await request("/auth/refresh", {
        method: "POST", body: { refresh_token: refresh }, auth: false,
      });
      saveSession(session.access_token, session.refresh_token);
      return true;
    } catch (error) {
      return false;
    }
  }

  // --- HTTP ------------------------------------------------------------------------

  function errorFrom(status, body, retryAfter) {
    const error = (body && body.error) || {};
    if (status === 413) return new ApiError(status, error.code, MESSAGES.tooLarge);
    if (status === 415 || (error.code || "").startsWith("image_")) {
      return new ApiError(status, error.code, status === 415 ? MESSAGES.notImage
        : error.message || MESSAGES.notImage);
    }
    if (status === 429) {
      const wait = retryAfter ? `，请 ${retryAfter} 秒后再试` : "，请稍后再试";
      return new ApiError(status, error.code, error.message || `操作太频繁${wait}`, retryAfter);
    }
    if (status >= 500) return new ApiError(status, error.code, MESSAGES.busy);
    return new ApiError(status, error.code, error.message || MESSAGES.busy);
  }

  async function request(path, { method = "GET", body, auth = true, retried = false } = {}) {
    const headers = { Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const token = localStorage.getItem(KEYS.access);
    if (auth && token) headers.Authorization = `Bearer ${token}`;
    let response;
    try {
      response = await fetch(API + path, {
        method, headers, body: body === undefined ? undefined : JSON.stringify(body),
        cache: "no-store",
      });
    } catch (networkError) {
      throw new ApiError(0, "offline", MESSAGES.offline);
    }
    if (response.status === 401 && auth && !retried && await refreshSession()) {
      return request(path, { method, body, auth, retried: true });
    }
    if (response.status === 204) return null;
    const data = await response.json().catch(() => null);
    if (!response.ok) {
      throw errorFrom(response.status, data, response.headers.get("Retry-After"));
    }
    return data;
  }

  // --- notices ---------------------------------------------------------------------

  function notify(message, kind) {
    const box = $("notice");
    box.textContent = message;
    box.className = kind === "info" ? "notice info" : "notice";
    box.hidden = !message;
  }

  function handle(error) {
    if (error instanceof ApiError && error.status === 401) {
      clearSession();
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
      saveSession(session.access_token, session.refresh_token);
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
    clearSession();
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

  function decode(file) {
    if (window.createImageBitmap) {
      return createImageBitmap(file, { imageOrientation: "from-image" })
        .catch(() => decodeWithImage(file));
    }
    return decodeWithImage(file);
  }

  function decodeWithImage(file) {
    return new Promise((resolve, reject) => {
      const url = URL.createObjectURL(file);
      const image = new Image();
      image.onload = () => { URL.revokeObjectURL(url); resolve(image); };
      image.onerror = () => { URL.revokeObjectURL(url); reject(new Error("undecodable")); };
      image.src = url;
    });
  }

  /* Long side at most photo_long_side pixels, re-encoded as JPEG (which also drops the
   * photo's EXIF data, location included). */
  async function shrink(file) {
    if (file.type && !file.type.startsWith("image/")) {
      throw new ApiError(415, "not_image", MESSAGES.notImage);
    }
    let picture;
    try {
      picture = await decode(file);
    } catch (error) {
      throw new ApiError(415, "unreadable", MESSAGES.unreadable);
    }
    const width = picture.width, height = picture.height;
    const scale = Math.min(1, state.config.photo_long_side / Math.max(width, height));
    const canvas = document.createElement("canvas");
    canvas.width = Math.round(width * scale);
    canvas.height = Math.round(height * scale);
    canvas.getContext("2d").drawImage(picture, 0, 0, canvas.width, canvas.height);
    const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg",
      JPEG_QUALITY));
    if (!blob) throw new ApiError(415, "unreadable", MESSAGES.unreadable);
    if (blob.size > state.config.max_upload_bytes) {
      throw new ApiError(413, "too_large", MESSAGES.tooLarge);
    }
    return blob;
  }

  function setProgress(fraction, text) {
    $("progress").hidden = false;
    $("progress-bar").style.width = `${Math.round(fraction * 100)}%`;
    $("progress-text").textContent = text;
  }

  function send(blob, retried) {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open("POST", `${API}/receipts`);
      xhr.setRequestHeader("Authorization", `Bearer ${localStorage.getItem(KEYS.access)}`);
      xhr.setRequestHeader("Accept", "application/json");
      xhr.upload.addEventListener("progress", (event) => {
        if (event.lengthComputable) {
          setProgress(event.loaded / event.total,
            `正在上传 ${Math.round((100 * event.loaded) / event.total)}%`);
        }
      });
      xhr.addEventListener("load", () => {
        let body = null;
        try { body = JSON.parse(xhr.responseText); } catch (error) { body = null; }
        if (xhr.status === 202) { resolve(body); return; }
        if (xhr.status === 401 && !retried) {
          refreshSession().then((ok) => (ok ? send(blob, true).then(resolve, reject)
            : reject(errorFrom(401, body))));
          return;
        }
        reject(errorFrom(xhr.status, body, xhr.getResponseHeader("Retry-After")));
      });
      xhr.addEventListener("error", () => reject(new ApiError(0, "offline", MESSAGES.offline)));
      xhr.addEventListener("timeout", () => reject(new ApiError(0, "offline", MESSAGES.offline)));
      const form = new FormData();
      form.append("image", blob, "receipt.jpg");
      xhr.send(form);
    });
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
      const blob = await shrink(file);
      setProgress(0, "正在上传 0%");
      const accepted = await send(blob, false);
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

  function element(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = text;
    if (className) node.className = className;
    return node;
  }

  function localDay(moment) {
    const day = new Date(moment);
    const two = (n) => String(n).padStart(2, "0");
    return `${day.getFullYear()}-${two(day.getMonth() + 1)}-${two(day.getDate())}`;
  }

  function receiptItem(receipt) {
    const item = element("li");
    item.dataset.receipt = receipt.id;
    item.dataset.status = receipt.status;
    const top = element("div", null, "item-top");
    const title = receipt.merchant || (WAITING.includes(receipt.status) ? "识别中" : "小票");
    top.append(element("span", title, "item-title"));
    const points = receipt.points ? `+${receipt.points}` : "";
    top.append(element("span", points, "item-points plus"));
    item.append(top);
    const line = element("div", null, "item-top");
    const when = receipt.date ? `消费 ${receipt.date}` : `上传 ${localDay(receipt.created_at)}`;
    const amount = receipt.total ? ` · ¥${receipt.total}` : "";
    line.append(element("span", `${when}${amount}`, "small"));
    line.append(element("span", receipt.status_text, `status-tag ${receipt.status}`));
    item.append(line);
    for (const reason of receipt.reasons || []) item.append(element("p", reason.message, "small"));
    return item;
  }

  function historyItem(entry) {
    const item = element("li");
    const top = element("div", null, "item-top");
    top.append(element("span", entry.kind_text, "item-title"));
    const sign = entry.points > 0 ? "plus" : entry.points < 0 ? "minus" : "";
    top.append(element("span", entry.points > 0 ? `+${entry.points}` : String(entry.points),
      `item-points ${sign}`));
    item.append(top);
    item.append(element("p", entry.explanation, "small"));
    item.append(element("p", localDay(entry.created_at), "small"));
    return item;
  }

  async function loadReceipts(fresh) {
    if (fresh) state.receiptsBefore = null;
    const before = state.receiptsBefore ? `&before=${state.receiptsBefore}` : "";
    const page = await request(`/receipts?limit=${PAGE}${before}`);
    const list = $("receipts");
    if (fresh) list.replaceChildren();
    list.append(...page.items.map(receiptItem));
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
    list.append(...page.items.map(historyItem));
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
    takeSessionFromFragment();
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
    if (!localStorage.getItem(KEYS.access)) { showSignIn(); return; }
    try {
      await showApp();
    } catch (error) {
      handle(error);
    }
    document.body.dataset.ready = "true";
  }

  document.addEventListener("DOMContentLoaded", start);
}());
