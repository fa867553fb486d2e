/* Live urgent alerts on staff pages (portal/staff/live_alerts.py, templates/staff/_urgent_banner.html).
 * Every data-poll-seconds the page asks data-poll-url for the urgent banner as JSON. When the
 * items in it change, the banner is redrawn from the server's words (so both languages work);
 * when only the minutes waited change, they are updated in place (nothing under the keyboard
 * moves). Items that came in after the page was drawn (alert ids above data-after) are announced
 * in the live region, each with a link to it, and the tab's title starts with the server's
 * prefix ("(1) Urgent · ") so that an officer in another tab notices; the title is the page's own
 * again once none of them is waiting in the banner (or on the next page). Polling stops for good once the session has ended
 * (the portal answers with a redirect to sign in, 401 or 403). Without JavaScript the banner is
 * drawn by the server on every page. Loaded from static/: the CSP allows no inline script. */
(function () {
  "use strict";
  var root = document.querySelector("[data-urgent-alerts]");
  if (!root || !window.fetch) { return; }
  var pollUrl = root.getAttribute("data-poll-url");
  var seconds = Math.max(1, parseInt(root.getAttribute("data-poll-seconds"), 10) || 20);
  var after = parseInt(root.getAttribute("data-after"), 10) || 0;
  var csrfToken = root.getAttribute("data-csrf-token") || "";
  var news = root.querySelector("[data-urgent-news]");
  var stopped = false;
  var announced = "";
  var pageTitle = document.title;

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = text; }
    return node;
  }

  function link(href, className, text) {
    var node = element("a", className, text);
    node.setAttribute("href", href);
    return node;
  }

  function shownKey() {
    var section = root.querySelector(".urgent-banner");
    if (!section) { return "0|"; }
    var ids = [];
    var lines = section.querySelectorAll("[data-alert-id]");
    for (var i = 0; i < lines.length; i++) { ids.push(lines[i].getAttribute("data-alert-id")); }
    return section.getAttribute("data-total") + "|" + ids.join(",");
  }

  function answerKey(data) {
    var ids = [];
    for (var i = 0; i < data.lines.length; i++) { ids.push(String(data.lines[i].alert_id)); }
    return data.total ? data.total + "|" + ids.join(",") : "0|";
  }

  function acknowledgeForm(line, label) {
    var form = element("form", "urgent-acknowledge");
    form.setAttribute("method", "post");
    form.setAttribute("action", line.acknowledge_url);
    form.setAttribute("novalidate", "");
    var token = element("input");
    token.type = "hidden";
    token.name = "csrf_token";
    token.value = csrfToken;
    var button = element("button", "button button-small", label);
    button.type = "submit";
    button.appendChild(element("span", "visually-hidden", " " + line.reference));
    form.appendChild(token);
    form.appendChild(button);
    return form;
  }

  function drawBanner(data) {
    var old = root.querySelector(".urgent-banner");
    if (!data.total) {
      if (old) { root.removeChild(old); }
      return;
    }
    var section = element("section", "urgent-banner");
    section.setAttribute("aria-labelledby", "urgent-banner-title");
    section.setAttribute("data-total", String(data.total));
    var title = element("h2", "urgent-banner-title", data.title);
    title.id = "urgent-banner-title";
    section.appendChild(title);
    var list = element("ul", "urgent-banner-list");
    for (var i = 0; i < data.lines.length; i++) {
      var line = data.lines[i];
      var item = element("li", "urgent-line");
      item.setAttribute("data-alert-id", String(line.alert_id));
      item.appendChild(link(line.url, "staff-reference", line.reference));
      var waited = element("time", "urgent-waited", line.waited);
      waited.setAttribute("datetime", line.received_at);
      item.appendChild(waited);
      item.appendChild(element("span", "urgent-reason", line.reason));
      if (line.acknowledge_url && csrfToken) { item.appendChild(acknowledgeForm(line, data.acknowledge_label)); }
      list.appendChild(item);
    }
    section.appendChild(list);
    if (data.more) {
      var more = element("p", "urgent-more");
      more.appendChild(link(data.more.url, null, data.more.text));
      section.appendChild(more);
    }
    if (old) { root.replaceChild(section, old); } else { root.appendChild(section); }
  }

  function updateWaited(data) {
    var times = root.querySelectorAll(".urgent-banner .urgent-waited");
    for (var i = 0; i < times.length && i < data.lines.length; i++) {
      if (times[i].textContent !== data.lines[i].waited) { times[i].textContent = data.lines[i].waited; }
    }
  }

  function announce(fresh) {
    var title = fresh.count ? fresh.title_prefix + pageTitle : pageTitle;
    if (document.title !== title) { document.title = title; }
    if (!news) { return; }
    var ids = [];
    for (var i = 0; i < fresh.lines.length; i++) { ids.push(fresh.lines[i].alert_id); }
    var key = fresh.count + "|" + ids.join(",");
    if (key === announced) { return; }  // unchanged: say nothing again
    announced = key;
    while (news.firstChild) { news.removeChild(news.firstChild); }
    if (!fresh.count) { return; }
    news.appendChild(element("p", "urgent-news-title", fresh.text));
    var list = element("ul", "urgent-news-list");
    for (var j = 0; j < fresh.lines.length; j++) {
      var line = fresh.lines[j];
      var item = element("li");
      item.appendChild(link(line.url, "staff-reference", line.reference));
      item.appendChild(document.createTextNode(" "));
      item.appendChild(element("span", "urgent-reason", line.reason));
      list.appendChild(item);
    }
    news.appendChild(list);
  }

  function update(data) {
    if (answerKey(data) === shownKey()) { updateWaited(data); } else { drawBanner(data); }
    announce(data["new"]);
  }

  function schedule() {
    if (!stopped) { window.setTimeout(poll, seconds * 1000); }
  }

  function poll() {
    window.fetch(pollUrl + "?after=" + after, {
      credentials: "same-origin",
      cache: "no-store",
      redirect: "manual",
      headers: { "Accept": "application/json" }
    }).then(function (response) {
      // Signed out, idle too long, or no longer allowed: the portal will not answer again.
      if (response.type === "opaqueredirect" || response.redirected || response.status === 401 || response.status === 403) {
        stopped = true;
        return null;
      }
      var type = response.headers.get("Content-Type") || "";
      if (!response.ok || type.indexOf("application/json") !== 0) { return null; }  // try again next time
      return response.json();
    }).then(function (data) {
      if (data) { update(data); }
    })["catch"](function () {
      // Offline for a moment, or an answer that was not JSON: try again next time.
    }).then(schedule);
  }

  schedule();
})();
