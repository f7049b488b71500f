"""depthlm.data"""
