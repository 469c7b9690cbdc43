/* How the phone page shows a receipt and a points entry in its lists. */
"use strict";

(function (RP) {
  const WAITING = ["received", "processing"];

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

  Object.assign(RP, { WAITING, element, receiptItem, historyItem });
}(window.RP));
