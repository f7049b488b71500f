"""depthlm.models"""
