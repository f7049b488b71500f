"""Turn a user's own captures into DepthLM records (issue #10).

Only the RGB-D folder path is here so far (:func:`curate_rgbd`); LiDAR projection and public
dataset modules come later. Every curator writes records that pass
:func:`depthlm.data.records.validate_record`, so evaluation and training read them unchanged.
"""

from depthlm.data.curate.rgbd import CurationResult, curate_rgbd

__all__ = ["CurationResult", "curate_rgbd"]
