#!/usr/bin/python3
"""GStreamer's RTSP server with an H.264 test pattern: a second, independent RTSP implementation
the recorder tests pull from. Usage: gst-rtsp-server.py ADDRESS PORT PATH. Prints READY when
listening; runs until SIGTERM."""
import signal
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402


def main() -> None:
    address, port, path = sys.argv[1], sys.argv[2], sys.argv[3]
    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address(address)
    server.set_service(port)
    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(
        "( videotestsrc is-live=true pattern=ball ! video/x-raw,width=320,height=240,framerate=15/1 "
        "! x264enc tune=zerolatency speed-preset=ultrafast key-int-max=15 bitrate=256 "
        "! rtph264pay name=pay0 pt=96 config-interval=1 )"
    )
    factory.set_shared(True)
    server.get_mount_points().add_factory(path, factory)
    if server.attach(None) == 0:
        sys.exit(f"cannot listen on {address}:{port}")
    loop = GLib.MainLoop()
    signal.signal(signal.SIGTERM, lambda *_: loop.quit())
    print("READY", flush=True)
    loop.run()


if __name__ == "__main__":
    main()
