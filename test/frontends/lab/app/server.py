"""Serves the test front end at /lab with Debian's jupyterlab_server (2.16) on jupyter_server (1.23).

The build folder (`node build.js --print`) comes in CELLFIT_LAB_BUILD; settings, workspaces and
the page config (whose disabledExtensions can switch plotly's renderer off) go in CELLFIT_LAB_STATE.
Every other option is jupyter_server's own (--ServerApp.port=...).
"""
import json
import os

from jupyterlab_server import LabServerApp

HERE = os.path.dirname(os.path.abspath(__file__))
BUILD = os.environ["CELLFIT_LAB_BUILD"]
STATE = os.environ["CELLFIT_LAB_STATE"]

with open(os.path.join(HERE, "package.json")) as package:
    VERSION = json.load(package)["dependencies"]["@jupyterlab/application"]


def _jupyter_server_extension_points():
    return [{"module": __name__, "app": CellfitLab}]


class CellfitLab(LabServerApp):
    # jupyter_server finds a launched extension app by its module's name.
    name = __name__
    app_name = "JupyterLab (cellfit test front end)"
    app_version = VERSION
    extension_url = "/lab"
    default_url = "/lab"
    app_url = "/lab"
    load_other_extensions = False
    static_dir = BUILD
    schemas_dir = os.path.join(BUILD, "schemas")
    themes_dir = os.path.join(BUILD, "themes")
    templates_dir = os.path.join(HERE, "templates")
    app_settings_dir = os.path.join(STATE, "app_settings")
    user_settings_dir = os.path.join(STATE, "user_settings")
    workspaces_dir = os.path.join(STATE, "workspaces")


if __name__ == "__main__":
    CellfitLab.launch_instance()
