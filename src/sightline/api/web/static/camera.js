// Webcam capture for the people forms, progressively enhanced: a form's photo field
// ([data-camera]) gains "Start camera" and "Take photo" buttons; a capture becomes a
// JPEG file in the form's own file input, so the form posts exactly as with a chosen
// file. Without a camera (or JavaScript) the file input works as it is.

const JPEG_QUALITY = 0.92;

function setupCamera(widget) {
  const panel = widget.querySelector("[data-camera-panel]");
  const video = widget.querySelector("[data-camera-video]");
  const still = widget.querySelector("[data-camera-still]");
  const start = widget.querySelector("[data-camera-start]");
  const capture = widget.querySelector("[data-camera-capture]");
  const retake = widget.querySelector("[data-camera-retake]");
  const status = widget.querySelector("[data-camera-status]");
  const input = widget.querySelector('input[type="file"]');
  let stream = null;
  let stillUrl = null;

  panel.hidden = false;

  function stop() {
    for (const track of stream?.getTracks() ?? []) track.stop();
    stream = null;
    video.srcObject = null;
  }

  async function open() {
    status.textContent = "Starting the camera…";
    status.classList.remove("field-error");
    try {
      stream = await navigator.mediaDevices.getUserMedia({
        video: { width: { ideal: 1280 }, height: { ideal: 720 }, facingMode: "user" },
        audio: false,
      });
    } catch (failure) {
      const denied = failure.name === "NotAllowedError" || failure.name === "SecurityError";
      status.textContent = denied
        ? "The camera was not allowed. Allow it in the browser, or choose a photo instead."
        : `No camera could be used (${failure.message || failure.name}). Choose a photo instead.`;
      status.classList.add("field-error");
      return;
    }
    video.srcObject = stream;
    await video.play();
    video.hidden = false;
    still.hidden = true;
    start.hidden = true;
    retake.hidden = true;
    capture.hidden = false;
    capture.focus();
    status.textContent = "Camera on. Face it, then press Take photo.";
  }

  function take() {
    if (!stream || !video.videoWidth) return;
    const canvas = document.createElement("canvas");
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    canvas.getContext("2d").drawImage(video, 0, 0, canvas.width, canvas.height);
    canvas.toBlob(
      (blob) => {
        if (!blob) {
          status.textContent = "The capture failed; try again or choose a photo.";
          status.classList.add("field-error");
          return;
        }
        const file = new File([blob], "camera.jpg", { type: "image/jpeg" });
        const transfer = new DataTransfer();
        transfer.items.add(file);
        input.files = transfer.files;
        input.removeAttribute("aria-invalid");
        if (stillUrl) URL.revokeObjectURL(stillUrl);
        stillUrl = URL.createObjectURL(blob);
        still.src = stillUrl;
        still.hidden = false;
        video.hidden = true;
        stop();
        capture.hidden = true;
        retake.hidden = false;
        widget.dataset.captured = "true";
        status.textContent = `Photo captured (${canvas.width} × ${canvas.height}). It is sent with the form.`;
        retake.focus();
      },
      "image/jpeg",
      JPEG_QUALITY,
    );
  }

  start.addEventListener("click", open);
  capture.addEventListener("click", take);
  retake.addEventListener("click", () => {
    input.value = "";
    delete widget.dataset.captured;
    open();
  });
  // Choosing a file replaces a capture.
  input.addEventListener("change", () => {
    if (widget.dataset.captured && input.files.length && input.files[0].name !== "camera.jpg") {
      delete widget.dataset.captured;
      still.hidden = true;
      status.textContent = "";
    }
  });
  window.addEventListener("pagehide", stop);
}

if (navigator.mediaDevices?.getUserMedia) {
  for (const widget of document.querySelectorAll("[data-camera]")) setupCamera(widget);
}
