"""depthlm.tasks"""
