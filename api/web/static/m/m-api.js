/* The phone page's talk with the API: the member's session (kept in localStorage, taken
 * from the URL fragment a mini-program web-view opens the page with), JSON requests that
 * refresh an expired session once, and errors as plain zh-CN messages. */
"use strict";

window.RP = window.RP || {};

(function (RP) {
  const API = "/api/v1";
  const KEYS = { access: "rp.access", refresh: "rp.refresh" };

  const MESSAGES = {
    offline: "网络未连接，请检查网络后重试",
    busy: "服务器繁忙，请稍后再试",
    tooLarge: "图片太大，请重新拍摄或选择较小的图片",
    notImage: "这不是可识别的图片，请选择小票照片",
    unreadable: "无法读取这张图片，请换一张或重新拍摄",
    signedOut: "登录已失效，请重新进入小程序",
    watchLost: "暂时无法获取识别结果，请稍后在小票记录中查看",
  };

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
    const token = accessToken();
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

  function accessToken() {
    return localStorage.getItem(KEYS.access);
  }

  Object.assign(RP, {
    API, MESSAGES, ApiError, accessToken, saveSession, clearSession, takeSessionFromFragment,
    refreshSession, errorFrom, request,
  });
}(window.RP));
