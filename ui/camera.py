"""Taking a photo with a camera, where QtMultimedia (PySide6-Addons) is installed."""
from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QPushButton, QVBoxLayout, QWidget

from inspector.i18n import _


class CameraDialog(QDialog):
    """Live view of the default camera; Capture takes a JPEG and closes with `saved_bytes` set.

    The camera writes to a private temporary folder; the photo is read into memory and the
    folder removed at once (and when the dialog closes, whatever happened): the photo then
    lives only in the store, where the census puts it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        from PySide6.QtMultimedia import QCamera, QImageCapture, QMediaCaptureSession, QMediaDevices
        from PySide6.QtMultimediaWidgets import QVideoWidget

        self.setWindowTitle(_("Camera"))
        self.saved_bytes: bytes | None = None
        self._tmp: Path | None = None
        self.finished.connect(lambda _r: self._remove_tmp())
        layout = QVBoxLayout(self)
        if not QMediaDevices.videoInputs():
            layout.addWidget(QLabel(_("No camera found.")))
            buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
            buttons.rejected.connect(self.reject)
            layout.addWidget(buttons)
            return
        self.view = QVideoWidget()
        self.view.setMinimumSize(480, 360)
        layout.addWidget(self.view)
        self.camera = QCamera(QMediaDevices.defaultVideoInput())
        self.capture = QImageCapture()
        self.session = QMediaCaptureSession()
        self.session.setCamera(self.camera)
        self.session.setImageCapture(self.capture)
        self.session.setVideoOutput(self.view)
        self.capture.imageSaved.connect(self._saved)
        shoot = QPushButton(_("Capture"))
        shoot.clicked.connect(self._shoot)
        layout.addWidget(shoot)
        self.camera.start()

    def _shoot(self) -> None:
        import os

        self._remove_tmp()
        self._tmp = Path(tempfile.mkdtemp(prefix=f"inspector-photo-{os.getpid()}-"))
        self.capture.captureToFile(str(self._tmp / "photo.jpg"))

    def _saved(self, _id: int, path: str) -> None:
        try:
            self.saved_bytes = Path(path).read_bytes()
        finally:
            self._remove_tmp()
        self.camera.stop()
        self.accept()

    def _remove_tmp(self) -> None:
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None
