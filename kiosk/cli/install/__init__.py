"""``hymy install``: the plan, the prerequisites, the virtualenv, the files and units it puts in place."""
