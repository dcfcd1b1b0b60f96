"""Template files: a campaign's set-up as JSON, written for download and read back from an upload.

The file is {"format": "alchemist-template", "format_version": 1, "template": {...}}, the
template's plain state rendered like a JSON session file (alchemist.files.json_tree). Reading
goes the way every JSON from a user goes: a size bound, strict parsing (strict_json), the plain
tree bounds (bounds.check_plain), then the template's own validators. The writer reads its
bytes back with the same reader, so a template that can be downloaded can be uploaded again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from alchemist.errors import FileFormatError, SessionFileError
from alchemist.files import json_tree
from alchemist.files.bounds import check_plain, checked_bytes

if TYPE_CHECKING:  # templates are imported when a file is read
    from alchemist.templates.template import Template

TEMPLATE_FORMAT = "alchemist-template"
TEMPLATE_FORMAT_VERSION = 1
# A template of 200 variables with 1,000 levels each of 100 characters is about 20 MB; a real one is
# a few kilobytes. One megabyte holds any campaign a person sets up by hand.
MAX_TEMPLATE_FILE_BYTES = 1024 * 1024


def read_template(data: bytes) -> Template:
    """The template in a template file; raises FileFormatError saying what is wrong."""
    from alchemist.files.strict_json import parse_json_bytes
    from alchemist.templates.template import Template, TemplateError

    try:
        data = checked_bytes(data, MAX_TEMPLATE_FILE_BYTES, "template file")
        tree = parse_json_bytes(data, "template file")
        if not isinstance(tree, dict) or tree.get("format") != TEMPLATE_FORMAT:
            raise FileFormatError('This file is not an ALchemist template: it has no "format": "alchemist-template".')
        plain = json_tree.from_json_tree(tree)
        check_plain(plain, "template file")
    except SessionFileError as error:
        raise FileFormatError(error.message) from None
    except json_tree.JsonTreeError as error:
        raise FileFormatError(f"The template file is not valid: {error}.") from None
    version = plain.get("format_version")
    if type(version) is not int or version < 1:
        raise FileFormatError("The template file does not say which format version it has.")
    if version > TEMPLATE_FORMAT_VERSION:
        raise FileFormatError(
            f"The template file has format version {version}; this app reads version {TEMPLATE_FORMAT_VERSION}. "
            "Open it with a newer ALchemist."
        )
    try:
        return Template.from_state(plain.get("template"))
    except TemplateError as error:
        raise FileFormatError(error.message) from None


def template_to_json(template: Template) -> bytes:
    """The template file of `template`, checked to read back to the same template."""
    document: dict[str, Any] = {
        "format": TEMPLATE_FORMAT,
        "format_version": TEMPLATE_FORMAT_VERSION,
        "template": template.to_state(),
    }
    data = json_tree.dumps(json_tree.to_json_tree(document)).encode("utf-8")
    if read_template(data) != template:
        raise FileFormatError("This template cannot be saved: the file would not read back to the same template.")
    return data
