#!/usr/bin/python3
"""GStreamer's RTSP server with an H.264 test pattern: a second, independent RTSP implementation
the recorder tests pull from. Usage: gst-rtsp-server.py ADDRESS PORT PATH. With GST_RTSP_USER and
GST_RTSP_PASSWORD in the environment (never in argv, which every local user can read), the stream
asks for Digest authentication only. Prints READY when listening; runs until SIGTERM."""
import os
import signal
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
gi.require_version("GstRtsp", "1.0")
from gi.repository import GLib, Gst, GstRtsp, GstRtspServer  # noqa: E402


def require_digest(server, factory, user: str, password: str) -> None:
    """Only `user` with `password`, and only with Digest: no Basic challenge is ever offered."""
    auth = GstRtspServer.RTSPAuth()
    auth.set_supported_methods(GstRtsp.RTSPAuthMethod.DIGEST)
    token = GstRtspServer.RTSPToken()
    token.set_string("media.factory.role", "viewer")
    auth.add_digest(user, password, token)
    server.set_auth(auth)
    factory.add_role_from_structure(
        Gst.Structure.from_string(
            "viewer, media.factory.access=(boolean)true, media.factory.construct=(boolean)true"
        )[0]
    )


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
    user, password = os.environ.get("GST_RTSP_USER"), os.environ.get("GST_RTSP_PASSWORD")
    if user and password:
        require_digest(server, factory, user, password)
    server.get_mount_points().add_factory(path, factory)
    if server.attach(None) == 0:
        sys.exit(f"cannot listen on {address}:{port}")
    loop = GLib.MainLoop()
    signal.signal(signal.SIGTERM, lambda *_: loop.quit())
    print("READY", flush=True)
    loop.run()


if __name__ == "__main__":
    main()
