/* The room's audio and video on Janus (VideoRoom), with the vendored janus.js.
 *
 * The page carries no credential: this script asks the page's media URL for one with a
 * POST (CSRF header as htmx sends it), then joins the room the backend opened. Those who
 * may publish join as publishers (the server checks their credential against the room's
 * allowed list) and send their camera and microphone; everyone subscribes to each
 * publisher, one handle per remote feed. The list of publishers comes from the join
 * events and, for those who only watch (webinar attendees), from `listparticipants` every
 * second. When the server ends our session (a host removed us, or ended the meeting) the
 * videos stop and the page says so; the page's heartbeat then moves us on.
 */
(function () {
  "use strict";

  var root = document.getElementById("room-media");
  if (!root || typeof Janus === "undefined") {
    return;
  }
  var status = root.querySelector("[data-media-status]");
  var grid = root.querySelector("[data-media-videos]");
  var state = { janus: null, control: null, config: null, feeds: {}, ownFeed: null, closed: false };
  window.conveneRoom = state;

  function say(text) {
    status.textContent = text;
  }

  function csrfToken() {
    var headers = document.body.getAttribute("hx-headers");
    try {
      return JSON.parse(headers)["X-CSRFToken"];
    } catch (error) {
      return "";
    }
  }

  function tile(id, label, muted) {
    var figure = document.createElement("figure");
    figure.className = "room-video";
    figure.dataset.feed = id;
    var video = document.createElement("video");
    video.autoplay = true;
    video.playsInline = true;
    video.muted = muted;
    video.setAttribute("data-testid", muted ? "local-video" : "remote-video");
    var caption = document.createElement("figcaption");
    caption.textContent = label;
    figure.appendChild(video);
    figure.appendChild(caption);
    grid.appendChild(figure);
    return video;
  }

  function closeAll(reason) {
    if (state.closed) {
      return;
    }
    state.closed = true;
    Object.keys(state.feeds).forEach(function (id) {
      var feed = state.feeds[id];
      if (feed.stream) {
        feed.stream.getTracks().forEach(function (track) { track.stop(); });
      }
    });
    grid.querySelectorAll("video").forEach(function (video) {
      if (video.srcObject) {
        video.srcObject.getTracks().forEach(function (track) { track.stop(); });
      }
      video.srcObject = null;
    });
    grid.textContent = "";
    say(reason);
  }

  function subscribe(publisher) {
    var id = publisher.id;
    if (state.feeds[id] || id === state.ownFeed || state.closed) {
      return;
    }
    var feed = { handle: null, stream: new MediaStream(), video: null };
    state.feeds[id] = feed;
    state.janus.attach({
      plugin: "janus.plugin.videoroom",
      success: function (handle) {
        feed.handle = handle;
        handle.send({
          message: {
            request: "join",
            ptype: "subscriber",
            room: state.config.room,
            streams: [{ feed: id }],
          },
        });
      },
      error: function () {
        delete state.feeds[id];
      },
      onmessage: function (message, jsep) {
        if (message.error) {
          delete state.feeds[id];
          return;
        }
        if (jsep) {
          feed.handle.createAnswer({
            jsep: jsep,
            tracks: [{ type: "data" }],
            success: function (answer) {
              feed.handle.send({ message: { request: "start" }, jsep: answer });
            },
          });
        }
      },
      onremotetrack: function (track, mid, on) {
        if (!feed.video) {
          feed.video = tile(id, publisher.display || "Participant", false);
          feed.video.srcObject = feed.stream;
        }
        if (on) {
          feed.stream.addTrack(track);
        } else {
          feed.stream.removeTrack(track);
        }
      },
      oncleanup: function () {
        if (feed.video) {
          feed.video.closest("figure").remove();
        }
        delete state.feeds[id];
      },
    });
  }

  function forget(id) {
    var feed = state.feeds[id];
    if (feed && feed.handle) {
      feed.handle.detach();
    }
  }

  function publishersSeen(list) {
    (list || []).forEach(subscribe);
  }

  function roomGone(message) {
    return message.videoroom === "destroyed" || message.error_code === 426;
  }

  function publish(handle) {
    var tracks = [
      { type: "audio", capture: state.config.microphone, recv: false },
      { type: "video", capture: state.config.camera, recv: false },
    ];
    handle.createOffer({
      tracks: tracks,
      success: function (jsep) {
        handle.send({ message: { request: "publish" }, jsep: jsep });
      },
      error: function (error) {
        say("Your camera or microphone could not be used: " + error);
      },
    });
  }

  function joinAsPublisher(handle) {
    handle.send({
      message: {
        request: "join",
        ptype: "publisher",
        room: state.config.room,
        display: state.config.display,
        token: state.config.credential,
      },
    });
  }

  function pollPublishers() {
    if (state.closed || !state.control) {
      return;
    }
    state.control.send({
      message: { request: "listparticipants", room: state.config.room },
      success: function (result) {
        if (!result || result.error_code === 426) {
          closeAll("The meeting has ended.");
          return;
        }
        var present = {};
        (result.participants || []).forEach(function (participant) {
          if (participant.publisher) {
            present[participant.id] = true;
            subscribe(participant);
          }
        });
        Object.keys(state.feeds).forEach(function (id) {
          if (!present[id]) {
            forget(Number(id));
          }
        });
      },
    });
  }

  function attachControl() {
    state.janus.attach({
      plugin: "janus.plugin.videoroom",
      success: function (handle) {
        state.control = handle;
        if (state.config.canPublish) {
          joinAsPublisher(handle);
        } else {
          say("You are watching the stage.");
          pollPublishers();
          state.poll = window.setInterval(pollPublishers, 1000);
        }
      },
      error: function (error) {
        say("Video could not start: " + error);
      },
      onmessage: function (message, jsep) {
        if (roomGone(message)) {
          closeAll("The meeting has ended.");
          return;
        }
        if (message.videoroom === "joined") {
          state.ownFeed = message.id;
          say("You are in the room.");
          publish(state.control);
          publishersSeen(message.publishers);
        } else if (message.videoroom === "event") {
          publishersSeen(message.publishers);
          if (message.unpublished) {
            forget(message.unpublished);
          }
          if (message.leaving === "ok") {
            closeAll("You were removed from the room.");
          } else if (message.leaving) {
            forget(message.leaving);
          }
          if (message.error) {
            say("The video server refused: " + message.error);
          }
        }
        if (jsep) {
          state.control.handleRemoteJsep({ jsep: jsep });
        }
      },
      onlocaltrack: function (track, on) {
        if (track.kind !== "video") {
          return;
        }
        var video = grid.querySelector("[data-testid=local-video]");
        if (on && !video) {
          video = tile("self", "You", true);
          video.srcObject = new MediaStream([track]);
        } else if (!on && video) {
          video.closest("figure").remove();
        }
      },
    });
  }

  function connect(config) {
    state.config = config;
    Janus.init({
      debug: false,
      dependencies: Janus.useDefaultDependencies(),
      callback: function () {
        state.janus = new Janus({
          server: config.server,
          token: config.credential,
          iceServers: config.iceServers,
          success: attachControl,
          error: function () {
            closeAll("Video stopped: the video server ended this connection.");
          },
          destroyed: function () {
            closeAll("Video stopped.");
          },
        });
      },
    });
  }

  say("Connecting to video…");
  fetch(root.dataset.mediaUrl, {
    method: "POST",
    credentials: "same-origin",
    headers: { "X-CSRFToken": csrfToken() },
  })
    .then(function (response) {
      return response.json().then(function (body) {
        if (!response.ok) {
          throw new Error(body.error || "Video is not available.");
        }
        return body;
      });
    })
    .then(connect)
    .catch(function (error) {
      say(error.message);
    });
})();
