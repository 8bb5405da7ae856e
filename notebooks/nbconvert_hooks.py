# nbconvert configuration used by notebooks/run.ts (`nbconvert --config notebooks/nbconvert_hooks.py`).
#
# tslab answers a failing cell with status "error" but no error name, value or traceback: the
# TypeScript diagnostics and the stack go to the cell's stderr. nbconvert's own message then says
# nothing useful ("<Error>: "), and it writes no notebook at all. These nbclient hooks record which
# cell failed and what it printed (CRM_NOTEBOOK_FAILURE, JSON) and save the notebook as executed so
# far (CRM_NOTEBOOK_PARTIAL), so the runner can name the cell and keep the output for debugging.
import json
import os

import nbformat

_state = {}


def _on_notebook_start(notebook, **kwargs):
    _state["notebook"] = notebook


def _on_cell_error(cell, cell_index, execute_reply, **kwargs):
    content = execute_reply.get("content", {}) if execute_reply else {}
    stderr = "".join(
        o.get("text", "")
        for o in cell.get("outputs", [])
        if o.get("output_type") == "stream" and o.get("name") == "stderr"
    )
    errors = [
        "%s: %s" % (o.get("ename", ""), o.get("evalue", ""))
        for o in cell.get("outputs", [])
        if o.get("output_type") == "error"
    ]
    failure = {
        "cell": cell_index,
        "source": cell.get("source", ""),
        "stderr": stderr,
        "error": "\n".join(errors) or ("%s: %s" % (content.get("ename"), content.get("evalue")) if content.get("ename") else ""),
    }
    path = os.environ.get("CRM_NOTEBOOK_FAILURE")
    if path:
        with open(path, "w", encoding="utf-8") as f:
            json.dump(failure, f)
    partial = os.environ.get("CRM_NOTEBOOK_PARTIAL")
    if partial and "notebook" in _state:
        nbformat.write(_state["notebook"], partial)


c = get_config()  # noqa: F821 (defined by traitlets when it loads this file)
c.ExecutePreprocessor.on_notebook_start = _on_notebook_start
c.ExecutePreprocessor.on_cell_error = _on_cell_error
