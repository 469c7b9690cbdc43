/* The photo on its way: decoded upright, shrunk in the browser (long side and size from
 * the server's client-config) and sent with upload progress. */
"use strict";

(function (RP) {
  const JPEG_QUALITY = 0.85;

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

  /* Long side at most longSide pixels, re-encoded as JPEG (which also drops the
   * photo's EXIF data, location included). */
  async function shrink(file, { longSide, maxBytes }) {
    if (file.type && !file.type.startsWith("image/")) {
      throw new RP.ApiError(415, "not_image", RP.MESSAGES.notImage);
    }
    let picture;
    try {
      picture = await decode(file);
    } catch (error) {
      throw new RP.ApiError(415, "unreadable", RP.MESSAGES.unreadable);
    }
    const width = picture.width, height = picture.height;
    const scale = Math.min(1, longSide / Math.max(width, height));
    const canvas = document.createElement("canvas");
    canvas.width = Math.round(width * scale);
    canvas.height = Math.round(height * scale);
    canvas.getContext("2d").drawImage(picture, 0, 0, canvas.width, canvas.height);
    const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg",
      JPEG_QUALITY));
    if (!blob) throw new RP.ApiError(415, "unreadable", RP.MESSAGES.unreadable);
    if (blob.size > maxBytes) {
      throw new RP.ApiError(413, "too_large", RP.MESSAGES.tooLarge);
    }
    return blob;
  }

  function send(blob, onProgress, retried) {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open("POST", `${RP.API}/receipts`);
      xhr.setRequestHeader("Authorization", `Bearer ${RP.accessToken()}`);
      xhr.setRequestHeader("Accept", "application/json");
      xhr.upload.addEventListener("progress", (event) => {
        if (event.lengthComputable) {
          onProgress(event.loaded / event.total);
        }
      });
      xhr.addEventListener("load", () => {
        let body = null;
        try { body = JSON.parse(xhr.responseText); } catch (error) { body = null; }
        if (xhr.status === 202) { resolve(body); return; }
        if (xhr.status === 401 && !retried) {
          RP.refreshSession().then((ok) => (ok ? send(blob, onProgress, true).then(resolve, reject)
            : reject(RP.errorFrom(401, body))));
          return;
        }
        reject(RP.errorFrom(xhr.status, body, xhr.getResponseHeader("Retry-After")));
      });
      xhr.addEventListener("error", () => reject(new RP.ApiError(0, "offline", RP.MESSAGES.offline)));
      xhr.addEventListener("timeout", () => reject(new RP.ApiError(0, "offline", RP.MESSAGES.offline)));
      const form = new FormData();
      form.append("image", blob, "receipt.jpg");
      xhr.send(form);
    });
  }

  Object.assign(RP, { shrink, send });
}(window.RP));
