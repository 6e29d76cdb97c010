"""initial store: inspections and snapshots

Revision ID: 0001
Revises: 
Create Date: 2026-11-24 17:15:35.677540
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    
    op.create_table('inspection',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uid', sa.String(length=36), nullable=False),
    sa.Column('fixmedins_code', sa.String(length=12), nullable=False),
    sa.Column('fixmedins_name', sa.Text(), nullable=False),
    sa.Column('date_from', sa.String(length=10), nullable=False),
    sa.Column('date_to', sa.String(length=10), nullable=False),
    sa.Column('visit_time', sa.String(length=19), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('team', sa.JSON(), nullable=False),
    sa.Column('settings', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.String(length=19), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('uid')
    )
    op.create_table('snapshot',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('inspection_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('source_kind', sa.String(length=8), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('source_sha256', sa.String(length=64), nullable=True),
    sa.Column('extract_id', sa.Text(), nullable=False),
    sa.Column('schema_version', sa.String(length=8), nullable=False),
    sa.Column('synced_at', sa.String(length=19), nullable=False),
    sa.Column('row_counts', sa.JSON(), nullable=False),
    sa.Column('digests', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['inspection_id'], ['inspection.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('inspection_id', 'version')
    )
    op.create_table('snap_drug_inv',
    sa.Column('snapshot_id', sa.Integer(), nullable=False),
    sa.Column('fixmedins_code', sa.Text(), nullable=False),
    sa.Column('med_list_codg', sa.Text(), nullable=False),
    sa.Column('invdate', sa.String(length=10), nullable=False),
    sa.Column('inv_cnt', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['snapshot_id'], ['snapshot.id'], ),
    sa.PrimaryKeyConstraint('snapshot_id', 'fixmedins_code', 'med_list_codg', 'invdate')
    )
    op.create_table('snap_drug_purc',
    sa.Column('snapshot_id', sa.Integer(), nullable=False),
    sa.Column('purc_id', sa.Text(), nullable=False),
    sa.Column('fixmedins_code', sa.Text(), nullable=False),
    sa.Column('med_list_codg', sa.Text(), nullable=False),
    sa.Column('spler_name', sa.Text(), nullable=True),
    sa.Column('manu_lotnum', sa.Text(), nullable=True),
    sa.Column('purc_cnt', sa.Integer(), nullable=False),
    sa.Column('purc_pric', sa.Integer(), nullable=False),
    sa.Column('purc_time', sa.String(length=19), nullable=False),
    sa.Column('retn_flag', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['snapshot_id'], ['snapshot.id'], ),
    sa.PrimaryKeyConstraint('snapshot_id', 'purc_id')
    )
    with op.batch_alter_table('snap_drug_purc', schema=None) as batch_op:
        batch_op.create_index('ix_snap_purc_drug', ['snapshot_id', 'med_list_codg', 'purc_time'], unique=False)

    op.create_table('snap_drug_sel',
    sa.Column('snapshot_id', sa.Integer(), nullable=False),
    sa.Column('sel_id', sa.Text(), nullable=False),
    sa.Column('fixmedins_code', sa.Text(), nullable=False),
    sa.Column('med_list_codg', sa.Text(), nullable=False),
    sa.Column('sel_retn_cnt', sa.Integer(), nullable=False),
    sa.Column('pric', sa.Integer(), nullable=False),
    sa.Column('sel_retn_time', sa.String(length=19), nullable=False),
    sa.Column('mdtrt_id', sa.Text(), nullable=True),
    sa.Column('drug_trac_codg', sa.Text(), nullable=True),
    sa.Column('retn_flag', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['snapshot_id'], ['snapshot.id'], ),
    sa.PrimaryKeyConstraint('snapshot_id', 'sel_id')
    )
    with op.batch_alter_table('snap_drug_sel', schema=None) as batch_op:
        batch_op.create_index('ix_snap_sel_drug', ['snapshot_id', 'med_list_codg', 'sel_retn_time'], unique=False)

    op.create_table('snap_extract_meta',
    sa.Column('snapshot_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.Text(), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['snapshot_id'], ['snapshot.id'], ),
    sa.PrimaryKeyConstraint('snapshot_id', 'key')
    )
    op.create_table('snap_feedetl',
    sa.Column('snapshot_id', sa.Integer(), nullable=False),
    sa.Column('feedetl_sn', sa.Text(), nullable=False),
    sa.Column('mdtrt_id', sa.Text(), nullable=False),
    sa.Column('fixmedins_code', sa.Text(), nullable=False),
    sa.Column('psn_no', sa.Text(), nullable=False),
    sa.Column('fee_ocur_time', sa.String(length=19), nullable=False),
    sa.Column('med_list_codg', sa.Text(), nullable=False),
    sa.Column('med_chrgitm_type', sa.Text(), nullable=False),
    sa.Column('cnt', sa.Integer(), nullable=False),
    sa.Column('pric', sa.Integer(), nullable=False),
    sa.Column('det_item_fee_sumamt', sa.Integer(), nullable=False),
    sa.Column('bilg_dr_codg', sa.Text(), nullable=True),
    sa.Column('bilg_dept_codg', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['snapshot_id'], ['snapshot.id'], ),
    sa.PrimaryKeyConstraint('snapshot_id', 'feedetl_sn')
    )
    with op.batch_alter_table('snap_feedetl', schema=None) as batch_op:
        batch_op.create_index('ix_snap_feedetl_mdtrt', ['snapshot_id', 'mdtrt_id', 'fee_ocur_time'], unique=False)

    op.create_table('snap_fixmedins',
    sa.Column('snapshot_id', sa.Integer(), nullable=False),
    sa.Column('fixmedins_code', sa.Text(), nullable=False),
    sa.Column('fixmedins_name', sa.Text(), nullable=False),
    sa.Column('fixmedins_type', sa.Text(), nullable=False),
    sa.Column('hosp_lv', sa.Text(), nullable=True),
    sa.Column('admdvs', sa.Text(), nullable=False),
    sa.Column('aprv_bed_cnt', sa.Integer(), nullable=False),
    sa.Column('addr', sa.Text(), nullable=True),
    sa.Column('credit_grade', sa.Text(), nullable=True),
    sa.Column('contract_status', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['snapshot_id'], ['snapshot.id'], ),
    sa.PrimaryKeyConstraint('snapshot_id', 'fixmedins_code')
    )
    op.create_table('snap_leave_rec',
    sa.Column('snapshot_id', sa.Integer(), nullable=False),
    sa.Column('leave_id', sa.Text(), nullable=False),
    sa.Column('mdtrt_id', sa.Text(), nullable=False),
    sa.Column('begntime', sa.String(length=19), nullable=False),
    sa.Column('endtime', sa.String(length=19), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['snapshot_id'], ['snapshot.id'], ),
    sa.PrimaryKeyConstraint('snapshot_id', 'leave_id')
    )
    op.create_table('snap_mdtrt',
    sa.Column('snapshot_id', sa.Integer(), nullable=False),
    sa.Column('mdtrt_id', sa.Text(), nullable=False),
    sa.Column('fixmedins_code', sa.Text(), nullable=False),
    sa.Column('psn_no', sa.Text(), nullable=False),
    sa.Column('med_type', sa.Text(), nullable=False),
    sa.Column('ipt_no', sa.Text(), nullable=True),
    sa.Column('begntime', sa.String(length=19), nullable=False),
    sa.Column('endtime', sa.String(length=19), nullable=True),
    sa.Column('ward_codg', sa.Text(), nullable=True),
    sa.Column('adm_bed', sa.Text(), nullable=True),
    sa.Column('adm_diag_codg', sa.Text(), nullable=True),
    sa.Column('adm_diag_name', sa.Text(), nullable=True),
    sa.Column('atddr_codg', sa.Text(), nullable=True),
    sa.Column('atddr_name', sa.Text(), nullable=True),
    sa.Column('dept_codg', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['snapshot_id'], ['snapshot.id'], ),
    sa.PrimaryKeyConstraint('snapshot_id', 'mdtrt_id')
    )
    with op.batch_alter_table('snap_mdtrt', schema=None) as batch_op:
        batch_op.create_index('ix_snap_mdtrt_psn', ['snapshot_id', 'psn_no', 'begntime'], unique=False)

    op.create_table('snap_med_list',
    sa.Column('snapshot_id', sa.Integer(), nullable=False),
    sa.Column('med_list_codg', sa.Text(), nullable=False),
    sa.Column('item_name', sa.Text(), nullable=False),
    sa.Column('list_type', sa.Text(), nullable=False),
    sa.Column('spec', sa.Text(), nullable=True),
    sa.Column('unit', sa.Text(), nullable=False),
    sa.Column('chrgitm_lv', sa.Text(), nullable=False),
    sa.Column('essential_flag', sa.Integer(), nullable=False),
    sa.Column('pric_uplmt_amt', sa.Integer(), nullable=True),
    sa.Column('daily_cnt_limit', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['snapshot_id'], ['snapshot.id'], ),
    sa.PrimaryKeyConstraint('snapshot_id', 'med_list_codg')
    )
    op.create_table('snap_medrcd',
    sa.Column('snapshot_id', sa.Integer(), nullable=False),
    sa.Column('mdtrt_id', sa.Text(), nullable=False),
    sa.Column('fixmedins_code', sa.Text(), nullable=False),
    sa.Column('psn_no', sa.Text(), nullable=False),
    sa.Column('ipt_no', sa.Text(), nullable=True),
    sa.Column('adm_time', sa.String(length=19), nullable=False),
    sa.Column('dscg_time', sa.String(length=19), nullable=False),
    sa.Column('ipt_days', sa.Integer(), nullable=False),
    sa.Column('dscg_maindiag_codg', sa.Text(), nullable=False),
    sa.Column('dscg_maindiag_name', sa.Text(), nullable=False),
    sa.Column('oprn_codg', sa.Text(), nullable=True),
    sa.Column('dept_codg', sa.Text(), nullable=True),
    sa.Column('atddr_codg', sa.Text(), nullable=True),
    sa.Column('medfee_sumamt', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['snapshot_id'], ['snapshot.id'], ),
    sa.PrimaryKeyConstraint('snapshot_id', 'mdtrt_id')
    )
    op.create_table('snap_psn_info',
    sa.Column('snapshot_id', sa.Integer(), nullable=False),
    sa.Column('psn_no', sa.Text(), nullable=False),
    sa.Column('psn_name', sa.Text(), nullable=False),
    sa.Column('gend', sa.Text(), nullable=False),
    sa.Column('brdy', sa.String(length=10), nullable=False),
    sa.Column('certno_mask', sa.Text(), nullable=False),
    sa.Column('certno_hash', sa.Text(), nullable=False),
    sa.Column('insutype', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['snapshot_id'], ['snapshot.id'], ),
    sa.PrimaryKeyConstraint('snapshot_id', 'psn_no')
    )
    op.create_table('snap_setl',
    sa.Column('snapshot_id', sa.Integer(), nullable=False),
    sa.Column('setl_id', sa.Text(), nullable=False),
    sa.Column('mdtrt_id', sa.Text(), nullable=False),
    sa.Column('fixmedins_code', sa.Text(), nullable=False),
    sa.Column('psn_no', sa.Text(), nullable=False),
    sa.Column('setl_time', sa.String(length=19), nullable=False),
    sa.Column('medfee_sumamt', sa.Integer(), nullable=False),
    sa.Column('hifp_pay', sa.Integer(), nullable=False),
    sa.Column('acct_pay', sa.Integer(), nullable=False),
    sa.Column('psn_cash_pay', sa.Integer(), nullable=False),
    sa.Column('fulamt_ownpay_amt', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['snapshot_id'], ['snapshot.id'], ),
    sa.PrimaryKeyConstraint('snapshot_id', 'setl_id')
    )
    op.create_table('snap_wards',
    sa.Column('snapshot_id', sa.Integer(), nullable=False),
    sa.Column('fixmedins_code', sa.Text(), nullable=False),
    sa.Column('ward_codg', sa.Text(), nullable=False),
    sa.Column('ward_name', sa.Text(), nullable=False),
    sa.Column('dept_codg', sa.Text(), nullable=False),
    sa.Column('dept_name', sa.Text(), nullable=False),
    sa.Column('aprv_bed_cnt', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['snapshot_id'], ['snapshot.id'], ),
    sa.PrimaryKeyConstraint('snapshot_id', 'fixmedins_code', 'ward_codg')
    )
    


def downgrade() -> None:
    
    op.drop_table('snap_wards')
    op.drop_table('snap_setl')
    op.drop_table('snap_psn_info')
    op.drop_table('snap_medrcd')
    op.drop_table('snap_med_list')
    with op.batch_alter_table('snap_mdtrt', schema=None) as batch_op:
        batch_op.drop_index('ix_snap_mdtrt_psn')

    op.drop_table('snap_mdtrt')
    op.drop_table('snap_leave_rec')
    op.drop_table('snap_fixmedins')
    with op.batch_alter_table('snap_feedetl', schema=None) as batch_op:
        batch_op.drop_index('ix_snap_feedetl_mdtrt')

    op.drop_table('snap_feedetl')
    op.drop_table('snap_extract_meta')
    with op.batch_alter_table('snap_drug_sel', schema=None) as batch_op:
        batch_op.drop_index('ix_snap_sel_drug')

    op.drop_table('snap_drug_sel')
    with op.batch_alter_table('snap_drug_purc', schema=None) as batch_op:
        batch_op.drop_index('ix_snap_purc_drug')

    op.drop_table('snap_drug_purc')
    op.drop_table('snap_drug_inv')
    op.drop_table('snapshot')
    op.drop_table('inspection')
    
