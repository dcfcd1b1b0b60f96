"""Templates: a campaign's set-up (variables, result column, settings) without its experiments.

    template  the Template record, checked by the variables' and settings' own validators
    presets   the templates shipped with the app

Template files (JSON) are read and written by alchemist.files.templates.
"""

from alchemist.templates.template import Template, TemplateError

__all__ = ["Template", "TemplateError"]
