"""Taking a photo with a camera, where QtMultimedia (PySide6-Addons) is installed."""
from __future__ import annotations

import tempfile
from pathlib import Path

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QPushButton, QVBoxLayout, QWidget

from inspector.i18n import _


class CameraDialog(QDialog):
    """Live view of the default camera; Capture saves a JPEG and closes with `saved_path` set."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        from PySide6.QtMultimedia import QCamera, QImageCapture, QMediaCaptureSession, QMediaDevices
        from PySide6.QtMultimediaWidgets import QVideoWidget

        self.setWindowTitle(_("Camera"))
        self.saved_path: str | None = None
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
        path = Path(tempfile.mkdtemp(prefix="inspector-photo-")) / "photo.jpg"
        self.capture.captureToFile(str(path))

    def _saved(self, _id: int, path: str) -> None:
        self.saved_path = path
        self.camera.stop()
        self.accept()
