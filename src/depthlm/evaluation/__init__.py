"""depthlm.evaluation"""
