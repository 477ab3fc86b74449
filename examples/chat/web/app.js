// The chat page: plain JavaScript, no build step.
//
// WebSocket URL, first that applies:
//   1. ?ws=wss://host/stage on the page's own URL;
//   2. <meta name="chat-websocket-url"> written by the web function (the API's endpoint);
//      a local ws:// URL on a loopback host is moved to the host this page came from, so
//      the page works when opened through another name or address of this machine;
//   3. the page's own host on port 3001, stage "dev" (sockgate dev's defaults).
//
// Names are inserted with textContent. Message content is inserted as HTML: the server has
// already reduced it to <b> <i> <em> <strong> <strike> <pre> <ul> <ol> <li> without attributes.
"use strict";

(() => {
  const GENERAL = "General";
  const CHANNEL_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
  const HISTORY_PAGE = 30;
  const KEEPALIVE_MS = 5 * 60 * 1000; // API Gateway drops connections idle for 10 minutes
  const BACKOFF_MIN_MS = 500;
  const BACKOFF_MAX_MS = 30000;
  const LOOPBACK = new Set(["127.0.0.1", "localhost", "0.0.0.0", "::1", "[::1]"]);

  const $ = (id) => document.getElementById(id);
  const state = {
    name: "",
    me: null, // our connection id, learnt from channel_list
    socket: null,
    attempt: 0,
    reconnectTimer: null,
    keepaliveTimer: null,
    listTimer: null,
    active: GENERAL,
    wanted: new Set([GENERAL]), // channels to rejoin after a reconnect
    channels: new Map(), // id -> {joined, subscribers, messages, ids, next, unread}
  };

  function channel(id) {
    if (!state.channels.has(id)) {
      state.channels.set(id, {
        joined: false,
        subscribers: 0,
        items: [], // {kind: "message"|"notice", ...}, oldest first
        ids: new Set(),
        next: undefined, // undefined: history not loaded; null: no older messages
        unread: 0,
      });
    }
    return state.channels.get(id);
  }

  // ---- connection ----------------------------------------------------------------------

  function websocketUrl() {
    const params = new URLSearchParams(location.search);
    if (params.get("ws")) return params.get("ws");
    const meta = document.querySelector('meta[name="chat-websocket-url"]');
    const injected = meta && meta.content;
    if (injected) {
      const url = new URL(injected);
      if (url.protocol === "ws:" && LOOPBACK.has(url.hostname) && location.hostname) {
        url.hostname = location.hostname;
      }
      return url.toString().replace(/\/$/, "");
    }
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    return `${scheme}://${location.hostname || "127.0.0.1"}:3001/dev`;
  }

  function connect() {
    clearTimeout(state.reconnectTimer);
    // encodeURIComponent, not URLSearchParams: API Gateway keeps a "+" as it is, it does not
    // read it as a space.
    const base = websocketUrl();
    const url = `${base}${base.includes("?") ? "&" : "?"}name=${encodeURIComponent(state.name)}`;
    setStatus("connecting", "connecting…");
    const socket = new WebSocket(url);
    state.socket = socket;
    socket.addEventListener("open", () => {
      state.attempt = 0;
      setStatus("online", "online");
      send({ action: "listChannels" });
      // $connect put us in General; rejoin what we had before a drop.
      for (const id of state.wanted) {
        if (id !== GENERAL) send({ action: "subscribeChannel", channelId: id });
      }
      loadHistory(state.active, true);
      clearInterval(state.keepaliveTimer);
      state.keepaliveTimer = setInterval(() => send({ action: "listChannels" }), KEEPALIVE_MS);
    });
    socket.addEventListener("message", (frame) => {
      let event;
      try {
        event = JSON.parse(frame.data);
      } catch {
        return;
      }
      handle(event);
    });
    socket.addEventListener("close", () => {
      if (state.socket !== socket) return;
      clearInterval(state.keepaliveTimer);
      for (const info of state.channels.values()) info.joined = false;
      renderChannels();
      scheduleReconnect();
    });
  }

  function scheduleReconnect() {
    // Exponential backoff with jitter, so a restarted server is not stampeded.
    const base = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** state.attempt);
    const delay = Math.round(base / 2 + Math.random() * (base / 2));
    state.attempt += 1;
    setStatus("offline", `reconnecting in ${Math.ceil(delay / 1000)} s`);
    state.reconnectTimer = setTimeout(connect, delay);
  }

  function send(action) {
    if (state.socket && state.socket.readyState === WebSocket.OPEN) {
      state.socket.send(JSON.stringify(action));
      return true;
    }
    return false;
  }

  // ---- events --------------------------------------------------------------------------

  function handle(event) {
    switch (event.event) {
      case "channel_message":
        addMessage(event.channelId, event, true);
        break;
      case "subscriber_sub":
        onSubscription(event, true);
        break;
      case "subscriber_unsub":
        onSubscription(event, false);
        break;
      case "channel_history":
        onHistory(event);
        break;
      case "channel_list":
        onChannelList(event);
        break;
      case "error":
        showNotice(event.message);
        break;
      default:
        break;
    }
  }

  function addMessage(id, message, live) {
    const info = channel(id);
    if (info.ids.has(message.id)) return;
    info.ids.add(message.id);
    const item = { kind: "message", ...message };
    if (live) {
      info.items.push(item);
    } else {
      insertByTime(info.items, item);
    }
    if (id === state.active) {
      renderMessages();
    } else if (live) {
      info.unread += 1;
      renderChannels();
    }
  }

  function insertByTime(items, item) {
    let index = items.length;
    while (index > 0 && (items[index - 1].timestamp || "") > item.timestamp) index -= 1;
    items.splice(index, 0, item);
  }

  function onSubscription(event, joined) {
    const info = channel(event.channelId);
    const self = state.me !== null && event.subscriberId === state.me;
    let text = `${event.name} ${joined ? "joined" : "left"}`;
    if (self) {
      info.joined = joined;
      if (joined) state.wanted.add(event.channelId);
      else state.wanted.delete(event.channelId);
      text = joined ? "You joined" : "You left";
      if (joined && info.next === undefined) loadHistory(event.channelId, true);
    }
    info.items.push({ kind: "notice", text, timestamp: new Date().toISOString() });
    if (event.channelId === state.active) renderMessages();
    if (self) renderChannels();
    refreshChannelsSoon();
  }

  function onHistory(event) {
    const info = channel(event.channelId);
    info.next = event.next;
    for (const message of event.messages) addMessage(event.channelId, message, false);
    if (event.channelId === state.active) renderMessages();
  }

  function onChannelList(event) {
    state.me = event.connectionId || state.me;
    const subscribed = new Set(event.subscribed || []);
    for (const entry of event.channels) {
      const info = channel(entry.channelId);
      info.subscribers = entry.subscribers;
    }
    for (const [id, info] of state.channels) info.joined = subscribed.has(id);
    $("me").textContent = state.name;
    $("me").hidden = false;
    renderChannels();
    renderRoomHeader();
  }

  function refreshChannelsSoon() {
    clearTimeout(state.listTimer);
    state.listTimer = setTimeout(() => send({ action: "listChannels" }), 300);
  }

  function loadHistory(id, first) {
    const info = channel(id);
    if (!first && !info.next) return;
    const action = { action: "getHistory", channelId: id, limit: HISTORY_PAGE };
    if (!first) action.before = info.next;
    send(action);
  }

  // ---- rendering -----------------------------------------------------------------------

  function setStatus(kind, text) {
    const status = $("status");
    status.className = `status status-${kind}`;
    status.textContent = text;
  }

  function showNotice(text) {
    const notice = $("notice");
    notice.textContent = text;
    notice.hidden = false;
    clearTimeout(showNotice.timer);
    showNotice.timer = setTimeout(() => {
      notice.hidden = true;
    }, 5000);
  }

  function renderChannels() {
    const list = $("channels");
    list.replaceChildren();
    const ids = [...state.channels.keys()].sort((a, b) => a.localeCompare(b));
    for (const id of ids) {
      const info = state.channels.get(id);
      const item = document.createElement("li");
      item.className = "channel" + (id === state.active ? " active" : "");
      item.dataset.channel = id;
      const open = document.createElement("button");
      open.type = "button";
      open.className = "channel-open";
      open.textContent = `#${id}`;
      open.addEventListener("click", () => switchTo(id));
      const meta = document.createElement("span");
      meta.className = "channel-meta";
      meta.textContent = `${info.subscribers}` + (info.unread ? ` · ${info.unread} new` : "");
      const toggle = document.createElement("button");
      toggle.type = "button";
      toggle.className = "channel-toggle";
      toggle.textContent = info.joined ? "leave" : "join";
      toggle.addEventListener("click", () => toggleMembership(id));
      item.append(open, meta, toggle);
      list.append(item);
    }
    renderRoomHeader();
  }

  function renderRoomHeader() {
    const info = channel(state.active);
    $("room-title").textContent = `#${state.active}`;
    $("room-toggle").textContent = info.joined ? "Leave" : "Join";
    // Messages go to subscribers only: a visitor who has not joined would not see their own.
    $("send-button").disabled = !info.joined;
    $("message-input").placeholder = info.joined
      ? "Message (allowed: <b> <i> <em> <strong> <strike> <pre> <ul> <ol> <li>)"
      : `Join #${state.active} to send messages`;
  }

  function renderMessages() {
    const info = channel(state.active);
    const list = $("message-list");
    const box = $("messages");
    const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 40;
    list.replaceChildren();
    for (const item of info.items) list.append(renderItem(item));
    $("older").hidden = !info.next;
    if (atBottom) box.scrollTop = box.scrollHeight;
  }

  function renderItem(item) {
    const row = document.createElement("li");
    if (item.kind === "notice") {
      row.className = "notice-line";
      row.textContent = item.text;
      return row;
    }
    row.className = "message";
    row.dataset.id = item.id;
    const time = document.createElement("time");
    time.dateTime = item.timestamp;
    time.textContent = new Date(item.timestamp).toLocaleTimeString();
    const name = document.createElement("span");
    name.className = "name";
    name.textContent = item.name; // never HTML
    const content = document.createElement("div");
    content.className = "content";
    content.innerHTML = item.content; // sanitised by the server to a few attribute-free tags
    row.append(time, name, content);
    return row;
  }

  // ---- actions -------------------------------------------------------------------------

  function switchTo(id) {
    state.active = id;
    const info = channel(id);
    info.unread = 0;
    if (info.next === undefined) loadHistory(id, true);
    renderChannels();
    renderMessages();
    $("message-input").focus();
  }

  function toggleMembership(id) {
    const info = channel(id);
    if (info.joined) {
      state.wanted.delete(id);
      send({ action: "unsubscribeChannel", channelId: id });
    } else {
      state.wanted.add(id);
      send({ action: "subscribeChannel", channelId: id });
      if (id !== state.active) switchTo(id);
    }
  }

  function start(event) {
    event.preventDefault();
    const name = $("name-input").value.trim();
    if (!name) return;
    state.name = name;
    try {
      localStorage.setItem("chat-name", name);
    } catch {
      // storage may be disabled; the name just isn't remembered
    }
    $("welcome").hidden = true;
    $("chat").hidden = false;
    channel(GENERAL);
    renderChannels();
    renderMessages();
    connect();
    $("message-input").focus();
  }

  function sendMessage(event) {
    event.preventDefault();
    const input = $("message-input");
    const content = input.value.trim();
    if (!content) return;
    const sent = send({
      action: "sendMessage",
      channelId: state.active,
      name: state.name,
      content,
    });
    if (sent) input.value = "";
    else showNotice("Not connected; the message was kept. Try again in a moment.");
  }

  function joinChannel(event) {
    event.preventDefault();
    const input = $("join-input");
    const id = input.value.trim();
    if (!CHANNEL_ID.test(id)) {
      showNotice("Channel names are 1 to 64 letters, digits, hyphens or underscores.");
      return;
    }
    input.value = "";
    state.wanted.add(id);
    channel(id);
    send({ action: "subscribeChannel", channelId: id });
    switchTo(id);
  }

  function init() {
    const params = new URLSearchParams(location.search);
    let remembered = "";
    try {
      remembered = localStorage.getItem("chat-name") || "";
    } catch {
      remembered = "";
    }
    $("name-input").value = params.get("name") || remembered;
    $("name-form").addEventListener("submit", start);
    $("send-form").addEventListener("submit", sendMessage);
    $("join-form").addEventListener("submit", joinChannel);
    $("refresh-channels").addEventListener("click", () => send({ action: "listChannels" }));
    $("room-toggle").addEventListener("click", () => toggleMembership(state.active));
    $("older").addEventListener("click", () => loadHistory(state.active, false));
  }

  init();
})();
