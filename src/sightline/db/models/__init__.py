"""Every table, imported so that ``Base.metadata`` is complete (one module per area)."""

from sightline.db.models import accounts as accounts
from sightline.db.models import albums as albums
from sightline.db.models import auth as auth
from sightline.db.models import customlabels as customlabels
from sightline.db.models import faces as faces
from sightline.db.models import notify as notify
from sightline.db.models import pipeline as pipeline
from sightline.db.models import system as system
from sightline.db.models import video as video
from sightline.db.models import workflows as workflows
