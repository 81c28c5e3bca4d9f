// Progressive enhancement of the capture form: the camera preview and a "take photo" button.
// Without JavaScript (or a camera) the file upload in the same form still works.
(function () {
  "use strict";
  var form = document.querySelector("form[data-camera]");
  if (!form || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) return;
  var box = form.querySelector("[data-camera-box]");
  var video = form.querySelector("[data-video]");
  var shoot = form.querySelector("[data-shoot]");
  var feedback = form.querySelector("[data-feedback]");
  var input = form.querySelector("input[type=file]");

  function say(text) { feedback.textContent = text; }

  navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 }, audio: false })
    .then(function (stream) {
      box.hidden = false;
      video.srcObject = stream;
      video.addEventListener("loadeddata", function () { shoot.disabled = false; });
    })
    .catch(function () { say(""); });

  shoot.addEventListener("click", function () {
    var w = video.videoWidth, h = video.videoHeight;
    if (!w || !h) { say("摄像头未就绪 · Camera not ready"); return; }
    var canvas = document.createElement("canvas");
    canvas.width = w; canvas.height = h;
    var g = canvas.getContext("2d");
    g.drawImage(video, 0, 0, w, h);
    // Brightness of the centre of the frame: too dark is said at once, before any upload.
    var d = g.getImageData(Math.floor(w / 4), Math.floor(h / 4), Math.floor(w / 2), Math.floor(h / 2)).data;
    var sum = 0;
    for (var i = 0; i < d.length; i += 4) sum += 0.299 * d[i] + 0.587 * d[i + 1] + 0.114 * d[i + 2];
    if (sum / (d.length / 4) < 40) { say("太暗了，请到光线充足的地方 · Too dark: face the light"); return; }
    say("正在处理… · Checking…");
    shoot.disabled = true;
    canvas.toBlob(function (blob) {
      var transfer = new DataTransfer();
      transfer.items.add(new File([blob], "camera.jpg", { type: "image/jpeg" }));
      input.files = transfer.files;
      var tracks = video.srcObject ? video.srcObject.getTracks() : [];
      tracks.forEach(function (t) { t.stop(); });
      form.submit();
    }, "image/jpeg", 0.92);
  });
})();
