// Progressive enhancement of the capture form: the camera preview and a "take photo" button.
// Where the deployment allows it (liveness off), the file upload in the same form works without
// JavaScript or a camera. With an active challenge (data-challenge), "Start" shows each step
// in turn while frames are recorded, then sends the frames and the last full picture.
(function () {
  "use strict";
  var form = document.querySelector("form[data-camera]");
  if (!form || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) return;
  var box = form.querySelector("[data-camera-box]");
  var video = form.querySelector("[data-video]");
  var shoot = form.querySelector("[data-shoot]");
  var feedback = form.querySelector("[data-feedback]");
  var input = form.querySelector("input[name=image]");
  var framesInput = form.querySelector("input[name=frame]");
  var prompt = form.querySelector("[data-prompt]");
  var steps = form.dataset.challenge ? form.dataset.challenge.split(",") : [];
  var STEP_MS = 2500, FRAME_MS = 160, FRAME_W = 320;
  // Every sentence comes from the page (the message catalogue, in the kiosk's language).
  var said = form.dataset;
  var PROMPTS = { blink: said.sayBlink, turn_left: said.sayTurnLeft, turn_right: said.sayTurnRight };

  function say(text) { feedback.textContent = text; }

  navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 }, audio: false })
    .then(function (stream) {
      box.hidden = false;
      video.srcObject = stream;
      video.addEventListener("loadeddata", function () { shoot.disabled = false; });
    })
    .catch(function () { say(said.sayNoCamera); });

  function grab(width) {
    var w = video.videoWidth, h = video.videoHeight;
    var canvas = document.createElement("canvas");
    canvas.width = width || w; canvas.height = Math.round((width || w) * h / w);
    canvas.getContext("2d").drawImage(video, 0, 0, canvas.width, canvas.height);
    return canvas;
  }

  function blob(canvas, quality) {
    return new Promise(function (resolve) { canvas.toBlob(resolve, "image/jpeg", quality); });
  }

  function tooDark(canvas) {
    var w = canvas.width, h = canvas.height;
    var d = canvas.getContext("2d").getImageData(Math.floor(w / 4), Math.floor(h / 4), Math.floor(w / 2), Math.floor(h / 2)).data;
    var sum = 0;
    for (var i = 0; i < d.length; i += 4) sum += 0.299 * d[i] + 0.587 * d[i + 1] + 0.114 * d[i + 2];
    return sum / (d.length / 4) < 40;
  }

  function send(picture, frames) {
    var transfer = new DataTransfer();
    transfer.items.add(new File([picture], "camera.jpg", { type: "image/jpeg" }));
    input.files = transfer.files;
    if (framesInput) {
      var many = new DataTransfer();
      frames.forEach(function (f, i) { many.items.add(new File([f], "frame" + i + ".jpg", { type: "image/jpeg" })); });
      framesInput.files = many.files;
    }
    var tracks = video.srcObject ? video.srcObject.getTracks() : [];
    tracks.forEach(function (t) { t.stop(); });
    form.submit();
  }

  function runChallenge() {
    var frames = [], pending = [], start = performance.now();
    var timer = setInterval(function () {
      var elapsed = performance.now() - start;
      var index = Math.floor(elapsed / STEP_MS);
      if (index >= steps.length) return;
      prompt.textContent = PROMPTS[steps[index]];
      form.querySelectorAll("[data-step]").forEach(function (li, i) { li.classList.toggle("current", i === index); });
      pending.push(blob(grab(FRAME_W), 0.8).then(function (b) { frames.push(b); }));
    }, FRAME_MS);
    setTimeout(function () {
      clearInterval(timer);
      prompt.textContent = said.sayChecking;
      var last = grab();
      Promise.all(pending).then(function () { return blob(last, 0.92); }).then(function (picture) {
        send(picture, frames);
      });
    }, STEP_MS * steps.length + FRAME_MS);
  }

  shoot.addEventListener("click", function () {
    var w = video.videoWidth, h = video.videoHeight;
    if (!w || !h) { say(said.sayNotReady); return; }
    var canvas = grab();
    // Brightness of the centre of the frame: too dark is said at once, before any upload.
    if (tooDark(canvas)) { say(said.sayDark); return; }
    shoot.disabled = true;
    if (steps.length) { runChallenge(); return; }
    say(said.sayChecking);
    blob(canvas, 0.92).then(function (picture) { send(picture, []); });
  });
})();
